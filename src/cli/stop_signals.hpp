// SIGINT and SIGTERM as a request to stop between units of work, so a command ends with whole
// results (and revokes the work it handed out) instead of dying mid-write. While a StopSignals
// lives, the signals set stop_requested(); the previous handlers come back when it goes.
#pragma once

#include <atomic>
#include <csignal>

namespace trend {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Process-wide: the flag the signal handler sets (also before any StopSignals exists).
  static const std::atomic<bool>& flag();
  static bool stop_requested() { return flag().load(); }
  static int signal();  // the signal that asked, 0 if none

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace trend
