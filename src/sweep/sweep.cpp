#include "sweep/sweep.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "config/config_loader.hpp"
#include "data/valid_counts.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"

namespace trend {
namespace {

// One configuration: the base settings with each axis' value copied in, run to a row.
SweepRow RunOne(const PreparedReturns& data, const AnalysisSettings& base, const SweepGrid& grid,
                std::size_t index, const PipelineContext& context) {
  SweepRow row;
  row.index = index;
  row.coordinates = grid.Coordinates(index);
  AnalysisSettings settings = base;
  if (!grid.Configure(index, settings, row.error)) return row;
  row.warnings = EffectWarnings(settings, grid.given,
                                grid.multi_period ? RunMode::kMultiPeriod : RunMode::kSinglePeriod);
  settings.regime.enabled = false;  // rows carry no regime table
  try {
    if (grid.multi_period) {
      const MultiPeriodResult r = RunMultiPeriod(data, settings, context);
      row.out_user = r.summary.out_user;
      row.periods = r.periods.size();
      double turnover = 0, cost = 0;
      for (const auto& p : r.periods) {
        turnover += p.turnover;
        cost += p.transaction_cost;
      }
      row.turnover = turnover / static_cast<double>(r.periods.size());
      row.transaction_cost = cost;
    } else {
      row.out_user = RunAnalysis(data, settings, context).out_user_stats;
    }
  } catch (const InputError& e) {
    row.error = e.what();
  }
  return row;
}

}  // namespace

void RunSweep(const PreparedReturns& data, const AnalysisSettings& base, const SweepGrid& grid,
              const SweepOptions& options, const SweepSink& sink, const SweepProgress& progress) {
  const std::size_t total = grid.size();
  const std::size_t first = std::min(options.first, total);
  const std::size_t end = options.count == 0 ? total : std::min(total, first + options.count);
  if (first >= end) return;
  const int threads =
      options.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(options.threads);
  tbb::task_arena arena(threads);
  tbb::task_group group;
  const std::size_t block = std::max<std::size_t>(1, options.block);
  std::atomic<std::size_t> done{0};
  PipelineContext context;
  context.guard = options.guard;
  const auto compute = [&](std::size_t begin, std::vector<SweepRow>& rows) {
    const std::size_t stop = std::min(end, begin + block);
    rows.resize(stop - begin);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, stop),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t i = range.begin(); i != range.end(); ++i) {
                          rows[i - begin] = RunOne(data, base, grid, i, context);
                        }
                        const std::size_t now = done += range.size();
                        if (progress) progress(now);
                      });
  };
  // Double buffering: the pool computes the next batch while this thread hands the finished
  // one to the sink, so writing results does not idle the workers.
  std::vector<SweepRow> ready, pending;
  arena.execute([&] { compute(first, ready); });
  const auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  for (std::size_t begin = first; begin < end; begin += block) {
    const std::size_t next = begin + block;
    const bool more = next < end && !stopped();
    if (more) arena.execute([&] { group.run([&, next] { compute(next, pending); }); });
    try {
      for (const SweepRow& row : ready) sink(row);
    } catch (...) {
      // The batch in flight writes into `pending`: it must finish before that goes away.
      if (more) arena.execute([&] { group.wait(); });
      throw;
    }
    if (more) arena.execute([&] { group.wait(); });
    if (!more) break;
    std::swap(ready, pending);
  }
}

ScalingReport MeasureScaling(const PreparedReturns& data, const AnalysisSettings& base,
                             const SweepGrid& grid, std::size_t sample, std::size_t max_threads,
                             int repeats) {
  ScalingReport report;
  report.configurations = std::min(sample, grid.size());
  const auto discard = [](const SweepRow&) {};
  for (std::size_t n = 1; n <= max_threads; ++n) {
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r < std::max(1, repeats); ++r) {
      SweepOptions options;
      options.threads = n;
      options.count = report.configurations;
      const auto start = std::chrono::steady_clock::now();
      RunSweep(data, base, grid, options, discard);
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    report.points.push_back({n, best, 1.0, 1.0});
  }
  FitAmdahl(report);
  return report;
}

void FitAmdahl(ScalingReport& report) {
  if (report.points.empty()) return;
  const double t1 = report.points.front().seconds;
  double numerator = 0, denominator = 0;
  for (auto& p : report.points) {
    p.speedup = t1 / p.seconds;
    p.efficiency = p.speedup / static_cast<double>(p.threads);
    const double x = 1.0 - 1.0 / static_cast<double>(p.threads);  // 1/S = 1 - P x
    numerator += (1.0 - 1.0 / p.speedup) * x;
    denominator += x * x;
  }
  report.parallel_fraction = denominator > 0 ? std::clamp(numerator / denominator, 0.0, 1.0) : 0.0;
}

PreparedReturns PrepareSweepReturns(const AnalysisSettings& settings, const SweepGrid& grid,
                                    ReturnsFrame raw, std::string_view source,
                                    const Membership* membership) {
  if (grid.multi_period) {
    PreparedReturns p =
        PrepareReturns(std::move(raw), MultiPeriodPrepareOptions(settings, membership), source);
    p.valid = ValidCounts(p.monthly.values);
    return p;
  }
  PrepareOptions options;
  options.load_policy = settings.data.load_missing;
  options.panel_policy = settings.preprocessing_missing;
  options.enforce_completeness = !settings.data.allow_risk_free_fallback;
  return PrepareReturns(std::move(raw), options, source);
}

}  // namespace trend
