// A progress bar on stderr for long work (periods, sweep configurations): count, rate and ETA,
// redrawn at most ten times a second, and only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace trend {

class ProgressBar {
 public:
  // `unit` names what is counted ("periods", "configs").
  ProgressBar(std::size_t total, std::string unit);
  ~ProgressBar();

  // Thread-safe.
  void Update(std::size_t done);
  // Draws the final state and ends the line.
  void Finish();

  static bool StderrIsTerminal();

 private:
  void Draw(std::size_t done, bool final);

  std::size_t total_;
  std::string unit_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace trend
