// Parameter sweeps: every configuration of a grid run on a thread pool (oneTBB), results
// handed to a sink in configuration order as they complete, so memory stays flat however large
// the grid. A configuration's result depends only on its settings (its own seed), never on
// the thread count or the order of execution.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/sweep_grid.hpp"
#include "data/membership.hpp"
#include "data/prepare.hpp"
#include "metrics/metrics.hpp"
#include "pipeline/run_guard.hpp"

namespace trend {

struct SweepRow {
  std::size_t index = 0;
  std::vector<std::size_t> coordinates;  // value index per grid axis
  std::string error;                     // empty when the configuration ran
  std::vector<std::string> warnings;     // keys of this configuration that have no effect
  Stats out_user;                        // out-of-sample user portfolio (multi: chained)
  double turnover = std::numeric_limits<double>::quiet_NaN();          // multi: mean per period
  double transaction_cost = std::numeric_limits<double>::quiet_NaN();  // multi: total
  std::size_t periods = 0;  // multi-period: periods that ran
};

struct SweepOptions {
  std::size_t threads = 0;   // 0: every hardware thread
  std::size_t first = 0;     // configurations [first, first + count)
  std::size_t count = 0;     // 0: to the end of the grid
  std::size_t block = 1024;  // configurations per ordered batch
  // Checked between batches: when set, the batch in flight is finished and handed to the sink,
  // and the sweep stops there (a signal handler sets it).
  const std::atomic<bool>* stop = nullptr;
  // Work limits for every configuration (over a limit: an error row); none when unset.
  const RunGuard* guard = nullptr;
};

// Called on the calling thread, in configuration order.
using SweepSink = std::function<void(const SweepRow&)>;
// Called from worker threads with the number of finished configurations.
using SweepProgress = std::function<void(std::size_t done)>;

// The returns prepared once for the whole grid: as a multi-period run prepares them when
// grid.multi_period (with `membership` when the config names one), else as a single run does.
PreparedReturns PrepareSweepReturns(const AnalysisSettings& settings, const SweepGrid& grid,
                                    ReturnsFrame raw, std::string_view source,
                                    const Membership* membership = nullptr);

// Runs the grid over data prepared once (PrepareReturns for single-period grids, with
// MultiPeriodPrepareOptions when grid.multi_period).
void RunSweep(const PreparedReturns& data, const AnalysisSettings& base, const SweepGrid& grid,
              const SweepOptions& options, const SweepSink& sink,
              const SweepProgress& progress = {});

// One point of a scaling measurement.
struct ScalingPoint {
  std::size_t threads = 1;
  double seconds = 0;
  double speedup = 1;     // T(1) / T(n)
  double efficiency = 1;  // speedup / n
};

struct ScalingReport {
  std::size_t configurations = 0;
  std::vector<ScalingPoint> points;
  double parallel_fraction = 0;  // P fitted to S(n) = 1 / ((1 - P) + P / n)
  // S(n) that the fitted P predicts.
  double PredictedSpeedup(double threads) const {
    return 1.0 / ((1.0 - parallel_fraction) + parallel_fraction / threads);
  }
};

// Runs the first `sample` configurations at 1..max_threads threads (best of `repeats` runs
// each) and fits Amdahl's law by least squares on 1/S(n) = 1 - P (1 - 1/n).
// Speedups, efficiencies and the least-squares parallel fraction from the points' seconds (the
// first point is the 1-thread time).
void FitAmdahl(ScalingReport& report);

ScalingReport MeasureScaling(const PreparedReturns& data, const AnalysisSettings& base,
                             const SweepGrid& grid, std::size_t sample, std::size_t max_threads,
                             int repeats = 3);

}  // namespace trend
