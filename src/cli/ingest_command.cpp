#include "cli/ingest_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <atomic>
#include <cstdio>
#include <ctime>

#include "cli/progress_bar.hpp"
#include "error/input_error.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend {
namespace {

std::atomic<bool> g_stop{false};

void RequestStop(int) {
  g_stop.store(true);
}

std::string Count(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Megabytes(std::uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

// A status line on a terminal: a bar while reading files of known size, counters when
// following; off a terminal (following) a counters line every 60 s.
class IngestProgress {
 public:
  explicit IngestProgress(bool follow, bool quiet)
      : follow_(follow), terminal_(!quiet && ProgressBar::StderrIsTerminal()), quiet_(quiet) {}
  ~IngestProgress() { Finish(); }
  // Ends the status line, so the summary starts on its own.
  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
    terminal_ = false;
  }
  void operator()(const ingest::IngestCounters& c) {
    const double rate = c.seconds > 0 ? static_cast<double>(c.lines) / c.seconds : 0.0;
    const std::string counters =
        fmt::format("{} lines ({:.0f}/s), {} new, {} duplicates, {} rejected", Count(c.lines), rate,
                    Count(c.records), Count(c.duplicates), Count(c.rejects));
    if (terminal_) {
      std::string line;
      if (!follow_ && c.bytes_total > 0) {
        constexpr int kWidth = 24;
        const double fraction =
            std::min(1.0, static_cast<double>(c.bytes_read) / static_cast<double>(c.bytes_total));
        const int filled = static_cast<int>(fraction * kWidth);
        line = fmt::format(
            "\r[{}{}] {:3.0f}% {}/{}  {} ", std::string(static_cast<std::size_t>(filled), '#'),
            std::string(static_cast<std::size_t>(kWidth - filled), '-'), fraction * 100,
            Megabytes(c.bytes_read), Megabytes(c.bytes_total), counters);
      } else {
        line = fmt::format("\rfollowing: {} ", counters);
      }
      std::fputs(line.c_str(), stderr);
      std::fflush(stderr);
      drawn_ = true;
    } else if (follow_ && !quiet_ && c.seconds - last_line_ >= 60) {
      last_line_ = c.seconds;
      std::fprintf(stderr, "trend ingest: %s\n", counters.c_str());
    }
  }

 private:
  bool follow_, terminal_, quiet_;
  bool drawn_ = false;
  double last_line_ = 0;
};

int Report(IngestCommandOptions& options) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (auto [text, target, flag] : {std::tuple{&options.since, &options.query.since, "--since"},
                                    std::tuple{&options.until, &options.query.until, "--until"}}) {
    if (text->empty()) continue;
    *target = ingest::ParseReportTime(*text, now);
    if (!*target) {
      throw InputError(fmt::format(
          "{} '{}': expected YYYY-MM-DD, an ISO time or a span like 24h, 7d", flag, *text));
    }
  }
  auto connection = storage::Connect(options.load.database);
  storage::Migrate(*connection, storage::TrendSchema());
  const nlohmann::json report = ingest::UsageReport(*connection, options.query);
  const std::string text = options.json ? report.dump(2) + "\n" : ingest::UsageReportText(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

int IngestCommand(IngestCommandOptions& options) {
  if (options.report) return Report(options);
  const auto format = ingest::ParseInputFormat(options.format);
  if (!format)
    throw InputError(fmt::format("--format {}: expected combined, common, trend-errors or returns",
                                 options.format));
  options.load.format = *format;
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  IngestProgress progress(options.load.follow, options.quiet);
  ingest::ProgressFn report = [&progress](const ingest::IngestCounters& c) { progress(c); };
  const ingest::IngestCounters c = ingest::RunIngest(options.load, report, g_stop);
  progress.Finish();
  const double rate = c.seconds > 0 ? static_cast<double>(c.lines) / c.seconds : 0.0;
  std::fprintf(stderr,
               "trend ingest: %s lines in %.2f s (%.0f lines/s): %s new, %s duplicates, %s "
               "corrections, %s rejected; %s batches into %s\n",
               Count(c.lines).c_str(), c.seconds, rate, Count(c.records).c_str(),
               Count(c.duplicates).c_str(), Count(c.corrections).c_str(), Count(c.rejects).c_str(),
               Count(c.batches).c_str(), options.load.database.c_str());
  return 0;
}

}  // namespace trend
