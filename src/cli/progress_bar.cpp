#include "cli/progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace trend {

bool ProgressBar::StderrIsTerminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

ProgressBar::ProgressBar(std::size_t total, std::string unit)
    : total_(total),
      unit_(std::move(unit)),
      enabled_(StderrIsTerminal() && total > 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::Update(std::size_t done) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, false);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard lock(mutex_);
  Draw(total_, true);
  finished_ = true;
}

void ProgressBar::Draw(std::size_t done, bool final) {
  constexpr int kWidth = 30;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '-');
  const std::string line = final ? fmt::format("\r[{}] {}/{} {} in {:.2f} s ({:.0f}/s)\n", bar,
                                               done, total_, unit_, seconds, rate)
                                 : fmt::format("\r[{}] {}/{} {}  {:.0f}/s  ETA {:.1f} s ", bar,
                                               done, total_, unit_, rate, eta);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace trend
