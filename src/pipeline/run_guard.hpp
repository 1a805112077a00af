// What bounds one run: work limits taken from the input's shape, checked before the work that
// would exceed them, and a cancellation flag with an optional deadline, checked between steps
// and periods. The server gives each request one (a hostile config must not take the process
// down or hold a core for minutes); `trend run` and `trend sweep` use the same limits unless
// told --no-limits. Library callers that pass none get neither.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "error/input_error.hpp"

namespace trend {

struct WorkLimits {
  // Funds x rows of the monthly panel a run reads: memory and every per-column pass.
  std::size_t max_cells = 25'000'000;
  // Funds compared pairwise in one step: a covariance-based weighting engine (O(n^2) memory,
  // O(n^3) time) or the AvgCorr metric (O(n^2) pairs). One such step cannot be interrupted,
  // so this bounds how late a cancellation can take effect.
  std::size_t max_pairwise_funds = 1'500;
  // Periods of a multi-period schedule.
  std::size_t max_periods = 1'200;
  bool enforced = true;  // false: --no-limits

  static WorkLimits None() {
    WorkLimits limits;
    limits.enforced = false;
    return limits;
  }
};

// A run that would exceed a limit: a client error (422, exit 2) naming the limit, what the
// input needs and the flag that raises it.
class WorkLimitError : public InputError {
 public:
  WorkLimitError(std::string limit, std::size_t needed, std::size_t maximum, std::string what);
  const std::string& limit() const { return limit_; }  // e.g. max_pairwise_funds
  std::string flag() const;                            // e.g. --max-pairwise-funds
  std::size_t needed() const { return needed_; }
  std::size_t maximum() const { return maximum_; }

 private:
  std::string limit_;
  std::size_t needed_, maximum_;
};

// A run stopped from outside: its deadline passed or it was cancelled (shutdown, a client
// gone). Not an InputError: it is never a skipped period or an error row.
class RunCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RunGuard(WorkLimits limits = {}, std::optional<Clock::time_point> deadline = {});
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;

  // Thread-safe; the run stops at its next check with RunCancelled(reason).
  void Cancel(const std::string& reason);
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Throws RunCancelled once cancelled or past the deadline.
  void ThrowIfStopped() const;

  const WorkLimits& limits() const { return limits_; }
  // Throw WorkLimitError when the input is over a limit; `what` says what needs it.
  void CheckCells(std::size_t funds, std::size_t rows) const;
  void CheckPairwiseFunds(std::size_t funds, const std::string& what) const;
  void CheckPeriods(std::size_t periods) const;

 private:
  WorkLimits limits_;
  std::optional<Clock::time_point> deadline_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  std::string reason_;
};

// For calls that may or may not be guarded: no guard, no checks.
inline void ThrowIfStopped(const RunGuard* guard) {
  if (guard != nullptr) guard->ThrowIfStopped();
}

}  // namespace trend
