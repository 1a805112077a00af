#include "pipeline/run_guard.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace trend {

namespace {

std::string FlagOf(std::string limit) {
  std::replace(limit.begin(), limit.end(), '_', '-');
  return "--" + limit;
}

}  // namespace

WorkLimitError::WorkLimitError(std::string limit, std::size_t needed, std::size_t maximum,
                               std::string what)
    : InputError(fmt::format("{}: {} is over the work limit {} = {} (raise it with {} N, or "
                             "lift every limit with --no-limits)",
                             what, needed, limit, maximum, FlagOf(limit))),
      limit_(std::move(limit)),
      needed_(needed),
      maximum_(maximum) {}

std::string WorkLimitError::flag() const {
  return FlagOf(limit_);
}

RunGuard::RunGuard(WorkLimits limits, std::optional<Clock::time_point> deadline)
    : limits_(limits), deadline_(deadline) {}

void RunGuard::Cancel(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (reason_.empty()) reason_ = reason;
  }
  cancelled_.store(true, std::memory_order_relaxed);
}

void RunGuard::ThrowIfStopped() const {
  if (cancelled()) {
    std::lock_guard lock(mutex_);
    throw RunCancelled(reason_);
  }
  if (deadline_ && Clock::now() >= *deadline_) {
    throw RunCancelled("the run took longer than its time limit (--run-timeout)");
  }
}

void RunGuard::CheckCells(std::size_t funds, std::size_t rows) const {
  // Both factors are bounded by the input's size in bytes, so the product cannot overflow.
  if (limits_.enforced && funds * rows > limits_.max_cells) {
    throw WorkLimitError("max_cells", funds * rows, limits_.max_cells,
                         fmt::format("a panel of {} columns x {} rows: the cells", funds, rows));
  }
}

void RunGuard::CheckPairwiseFunds(std::size_t funds, const std::string& what) const {
  if (limits_.enforced && funds > limits_.max_pairwise_funds) {
    throw WorkLimitError("max_pairwise_funds", funds, limits_.max_pairwise_funds,
                         fmt::format("{}: the funds compared pairwise", what));
  }
}

void RunGuard::CheckPeriods(std::size_t periods) const {
  if (limits_.enforced && periods > limits_.max_periods) {
    throw WorkLimitError("max_periods", periods, limits_.max_periods,
                         "the multi_period schedule: the periods");
  }
}

}  // namespace trend
