#include "cli/sweep_command.hpp"
#include "cli/returns_input.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <queue>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "cli/local_workers.hpp"
#include "cli/progress_bar.hpp"
#include "cli/stop_signals.hpp"
#include "config/config_loader.hpp"
#include "config/sweep_grid.hpp"
#include "data/csv_reader.hpp"
#include "data/csv_writer.hpp"
#include "error/input_error.hpp"
#include "jobs/broker.hpp"
#include "jobs/distributed_sweep.hpp"
#include "jobs/job_client.hpp"
#include "jobs/result_backend.hpp"
#include "multiperiod/multi_period.hpp"
#include "report/export_files.hpp"
#include "report/json_report.hpp"
#include "report/sweep_table.hpp"
#include "report/text_table.hpp"
#include "sweep/sweep.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

// The ranking metric of --top: its value and whether larger is better.
double MetricValue(const SweepRow& row, const std::string& metric) {
  const Stats& s = row.out_user;
  if (metric == "cagr") return s.cagr;
  if (metric == "vol") return s.vol;
  if (metric == "sortino") return s.sortino;
  if (metric == "max_drawdown") return s.max_drawdown;
  if (metric == "ir") return s.information_ratio;
  return s.sharpe;
}
bool LowerIsBetter(const std::string& metric) {
  return metric == "vol" || metric == "max_drawdown";
}

std::string Fixed(double v, bool percent) {
  if (std::isnan(v)) return "-";
  return percent ? fmt::format("{:.2f}%", v * 100.0) : fmt::format("{:.3f}", v);
}

// Results equal to 10 significant digits count as one: the same funds in another order sum in
// another order, which moves the last bits but not the result.
std::uint64_t StatsHash(const Stats& s) {
  const std::string text =
      fmt::format("{:.10g} {:.10g} {:.10g} {:.10g} {:.10g} {:.10g}", s.cagr, s.vol, s.sharpe,
                  s.sortino, s.max_drawdown, s.information_ratio);
  return std::hash<std::string>{}(text);
}

PreparedReturns PrepareFor(const AnalysisSettings& settings, const SweepGrid& grid,
                           ReturnsFrame raw, const std::string& returns_path) {
  std::optional<Membership> membership;
  if (grid.multi_period && settings.data.universe_membership_path)
    membership = LoadMembership(*settings.data.universe_membership_path);
  return PrepareSweepReturns(settings, grid, std::move(raw), returns_path,
                             membership ? &*membership : nullptr);
}

// The speed-up table, Amdahl's fit and what more cores (or processes) would buy.
void PrintScaling(const ScalingReport& report, const std::string& unit, const std::string& title) {
  std::vector<std::vector<std::string>> rows = {
      {unit, "Seconds", "Configs/s", "Speed-up S(N)", "Efficiency"}};
  for (const auto& p : report.points) {
    rows.push_back({std::to_string(p.threads), fmt::format("{:.3f}", p.seconds),
                    fmt::format("{:.0f}", static_cast<double>(report.configurations) / p.seconds),
                    fmt::format("{:.2f}", p.speedup), fmt::format("{:.1f}%", p.efficiency * 100)});
  }
  std::string out = title + "\n\n" + RenderTextTable(rows);
  out += fmt::format(
      "\nAmdahl's law S(N) = 1 / ((1 - P) + P / N) fitted by least squares: P = {:.4f} "
      "(serial fraction {:.2f}%)\n",
      report.parallel_fraction, (1.0 - report.parallel_fraction) * 100.0);
  std::vector<std::vector<std::string>> projection = {{unit, "Predicted S(N)", "Efficiency"}};
  for (double n : {4.0, 8.0, 16.0, 32.0, 64.0}) {
    const double s = report.PredictedSpeedup(n);
    projection.push_back(
        {fmt::format("{:.0f}", n), fmt::format("{:.1f}", s), fmt::format("{:.0f}%", s / n * 100)});
  }
  out += "What more would buy:\n" + RenderTextTable(projection);
  if (report.parallel_fraction < 1.0) {
    out += fmt::format("Upper bound as N grows: {:.0f}x\n", 1.0 / (1.0 - report.parallel_fraction));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

int RunScaling(const SweepCommandOptions& options, const PreparedReturns& data,
               const AnalysisSettings& base, const SweepGrid& grid) {
  const std::size_t max_threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const ScalingReport report =
      MeasureScaling(data, base, grid, options.scaling_sample, max_threads);
  PrintScaling(report, "Threads",
               fmt::format("Scaling on the first {} configurations of the grid (best of 3 runs per "
                           "thread count):",
                           report.configurations));
  return 0;
}

// What the workers of a distributed sweep are sent: the config and grid as the user wrote
// them (each worker parses them as this process did) and the returns as CSV text.
struct DistributedInput {
  jobs::SweepChunkInput chunk;
  std::string csv;
};

DistributedInput MakeDistributedInput(const SweepCommandOptions& options,
                                      const AnalysisSettings& base, const ReturnsInput& input) {
  DistributedInput out;
  out.chunk.config_text = ReadTextFile(options.config_path, "config file");
  out.chunk.config_name = options.config_path;
  out.chunk.grid_text = ReadTextFile(options.grid_path, "grid file");
  out.chunk.grid_name = options.grid_path;
  out.chunk.base_dir = fs::path(options.config_path).parent_path().string();
  out.csv = ReturnsCsvText(base, options.returns_path, input);
  return out;
}

jobs::JobClient ConnectDistributed(const SweepCommandOptions& options) {
  return jobs::ConnectJobClient(options.broker, options.backend, options.queue,
                                &StopSignals::flag());
}

// S(N) over 1..N worker processes started here, each with its own temporary directory as if
// on its own machine, all on one broker: the sample sweep is timed end to end (publishing,
// the workers, collecting the rows), best of 3 per N.
int RunProcessScaling(const SweepCommandOptions& options, const DistributedInput& input,
                      std::size_t configurations) {
  const std::size_t max_workers = options.scaling_workers
                                      ? options.scaling_workers
                                      : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t sample = std::min(options.scaling_sample, configurations);
  if (sample == 0) throw InputError(fmt::format("{}: the grid is empty", options.grid_path));
  jobs::JobClient c = ConnectDistributed(options);
  const std::string queue = options.queue + ".scaling." + jobs::MakeTaskId().substr(0, 8);
  const fs::path directory = fs::temp_directory_path() / ("trend-scaling-" + queue);
  LocalWorkerOptions workers;
  workers.broker = options.broker;
  workers.backend = jobs::BackendUrlFor(options.broker, options.backend);
  workers.queue = queue;
  workers.directory = directory.string();
  ScalingReport report;
  report.configurations = sample;
  try {
    for (std::size_t n = 1; n <= max_workers; ++n) {
      if (!options.quiet) std::fprintf(stderr, "trend: timing %zu worker process(es)\n", n);
      const LocalWorkers running(workers, n);
      jobs::DistributedSweepOptions sweep;
      sweep.queue = queue;
      sweep.stop = &StopSignals::flag();
      sweep.chunk_size = options.chunk_size;
      const auto discard = [](const SweepRow&) {};
      // Warm-up: a chunk or two per process reads the dataset into its cache.
      sweep.count = std::min(sample, 2 * n);
      sweep.chunk_size = 1;
      jobs::RunDistributedSweep(*c.broker, *c.backend, input.chunk, input.csv, sweep, discard, {});
      sweep.chunk_size = options.chunk_size;
      sweep.count = sample;
      double best = 0;
      for (int repeat = 0; repeat < 3 && !StopSignals::stop_requested(); ++repeat) {
        const auto start = std::chrono::steady_clock::now();
        jobs::RunDistributedSweep(*c.broker, *c.backend, input.chunk, input.csv, sweep, discard,
                                  {});
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (repeat == 0 || seconds < best) best = seconds;
      }
      if (StopSignals::stop_requested()) break;
      report.points.push_back({n, best, 1, 1});
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(directory, ignored);
    throw;
  }
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  if (report.points.empty()) return 128 + StopSignals::signal();
  FitAmdahl(report);
  PrintScaling(report, "Processes",
               fmt::format("Scaling over worker processes on {} ({} configurations per run, in "
                           "chunks of {}; best of 3 runs per process count):",
                           c.broker->url(), sample,
                           options.chunk_size ? options.chunk_size : jobs::ChunkSizeFor(sample)));
  return 0;
}

}  // namespace

int SweepCommand(const SweepCommandOptions& options) {
  static const std::vector<std::string> kMetrics = {"cagr",    "vol",          "sharpe",
                                                    "sortino", "max_drawdown", "ir"};
  if (std::find(kMetrics.begin(), kMetrics.end(), options.metric) == kMetrics.end()) {
    throw InputError(
        fmt::format("--metric {}: expected one of {}", options.metric, fmt::join(kMetrics, ", ")));
  }
  LoadedConfig config = LoadConfigFile(options.config_path);
  if (options.strict && !config.warnings.empty())
    throw InputError(fmt::format("--strict: {}", config.warnings.front()));
  for (const auto& warning : config.warnings)
    std::fprintf(stderr, "trend: warning: %s\n", warning.c_str());
  const AnalysisSettings& base = config.settings;
  const SweepGrid grid = LoadSweepGrid(options.grid_path, options.config_path);
  if (options.strict) {
    // Every configuration's no-effect warnings, before any is run.
    const RunMode mode = grid.multi_period ? RunMode::kMultiPeriod : RunMode::kSinglePeriod;
    for (std::size_t i = 0; i < grid.size(); ++i) {
      AnalysisSettings settings = base;
      std::string error;
      if (!grid.Configure(i, settings, error)) continue;
      const auto warnings = EffectWarnings(settings, grid.given, mode);
      if (!warnings.empty()) {
        throw InputError(fmt::format("--strict: configuration {}: {}", i, warnings.front()));
      }
    }
  }
  if (grid.LacksSchedule(base)) {
    throw InputError(fmt::format("{}: mode: multi_period needs a multi_period section in {}",
                                 options.grid_path, options.config_path));
  }
  ReturnsInput input = LoadReturnsInput(base, options.returns_path, options.config_path);
  const std::string returns_path = input.name;
  const bool distributed = !options.broker.empty();
  std::optional<DistributedInput> shipped;
  if (distributed) {
    if (base.data.universe_membership_path) {
      throw InputError(fmt::format(
          "{}: data.universe_membership_path is read on this machine only; a sweep with "
          "--broker does not support it yet (run it without --broker)",
          options.config_path));
    }
    shipped = MakeDistributedInput(options, base, input);
  }
  // Prepared here also for a distributed sweep: bad data fails now, named as locally.
  const PreparedReturns data = PrepareFor(base, grid, std::move(input.frame), returns_path);
  if (options.scaling) {
    if (distributed) {
      const StopSignals signals;
      return RunProcessScaling(options, *shipped, grid.size());
    }
    return RunScaling(options, data, base, grid);
  }
  std::optional<jobs::JobClient> connection;
  if (distributed) connection = ConnectDistributed(options);

  CreateExportDirectory(options.out_dir);
  const fs::path csv_path = fs::path(options.out_dir) / "results.csv";
  const fs::path jsonl_path = fs::path(options.out_dir) / "results.jsonl";
  // Written under temporary names and put in place at the end (also after SIGINT/SIGTERM):
  // a full disk or a crash leaves no partial results file, and never one of two.
  PendingFile csv_file(csv_path), jsonl_file(jsonl_path);
  std::ofstream csv(csv_file.temporary()), jsonl(jsonl_file.temporary());
  if (!csv) throw InputError(fmt::format("{}: cannot write the results", csv_path.string()));
  if (!jsonl) throw InputError(fmt::format("{}: cannot write the results", jsonl_path.string()));
  csv << SweepCsvHeader(grid);

  // The best K so far: the worst of them on top, so memory stays O(K).
  const bool lower_better = LowerIsBetter(options.metric);
  const auto worse = [&](const SweepRow& a, const SweepRow& b) {
    const double x = MetricValue(a, options.metric), y = MetricValue(b, options.metric);
    return lower_better ? x < y : x > y;  // heap top = worst kept
  };
  std::priority_queue<SweepRow, std::vector<SweepRow>, decltype(worse)> best(worse);
  std::size_t failed = 0, with_warnings = 0;
  // Distinct results (a hash of the six statistics per row: 8 bytes).
  std::unordered_set<std::uint64_t> distinct;
  const auto sink = [&](const SweepRow& row) {
    if (!row.warnings.empty()) ++with_warnings;
    csv << SweepCsvLine(grid, row);
    jsonl << SweepJsonLine(grid, row).dump() << "\n";
    const Stats& s = row.out_user;
    const bool ok = row.error.empty();
    if (ok) distinct.insert(StatsHash(s));
    if (!ok) {
      ++failed;
      return;
    }
    if (std::isnan(MetricValue(row, options.metric)) || options.top == 0) return;
    best.push(row);
    if (best.size() > options.top) best.pop();
  };

  const std::size_t total = grid.size();
  std::optional<ProgressBar> bar;
  if (!options.quiet) bar.emplace(total, "configs");
  const auto start = std::chrono::steady_clock::now();
  const RunGuard guard(options.limits);
  SweepOptions sweep;
  sweep.threads = options.threads;
  sweep.guard = &guard;
  sweep.stop = &StopSignals::flag();
  // SIGINT and SIGTERM stop a sweep between batches, so both result files end with whole rows.
  std::optional<StopSignals> signals(std::in_place);
  std::size_t written = 0;
  const auto counted_sink = [&](const SweepRow& row) {
    sink(row);
    ++written;
    // A full disk shows at a flush: stop at the first batch that cannot be written.
    if (written % sweep.block == 0 && (!csv.flush() || !jsonl.flush())) {
      throw InputError(fmt::format("{}: cannot write the results (disk full?) after {} rows",
                                   options.out_dir, written));
    }
  };
  const auto show_progress = [&](std::size_t done) {
    if (bar) bar->Update(done);
  };
  if (distributed) {
    jobs::DistributedSweepOptions spread;
    spread.queue = options.queue;
    spread.count = total;
    spread.chunk_size = options.chunk_size;
    spread.stop = &StopSignals::flag();
    spread.notice = [](const std::string& text) {
      std::fprintf(stderr, "\ntrend: %s\n", text.c_str());
    };
    jobs::RunDistributedSweep(*connection->broker, *connection->backend, shipped->chunk,
                              shipped->csv, spread, counted_sink, show_progress);
  } else {
    RunSweep(data, base, grid, sweep, counted_sink, show_progress);
  }
  signals.reset();
  if (bar) bar->Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  csv.close();
  jsonl.close();
  if (!csv || !jsonl)
    throw InputError(fmt::format("{}: cannot write the results", options.out_dir));
  csv_file.Commit();
  jsonl_file.Commit();
  if (StopSignals::stop_requested()) {
    const int signal = StopSignals::signal();
    std::fprintf(stderr,
                 "trend: interrupted by %s after %zu of %zu configurations; %s and %s hold "
                 "those rows, each line whole\n",
                 signal == SIGINT ? "SIGINT" : "SIGTERM", written, total, csv_path.string().c_str(),
                 jsonl_path.string().c_str());
    return 128 + signal;
  }

  if (options.quiet) return 0;
  const std::string where =
      distributed
          ? fmt::format("by the workers on {}", connection->broker->url())
          : fmt::format("on {} threads", options.threads
                                             ? options.threads
                                             : std::max(1u, std::thread::hardware_concurrency()));
  std::string out = fmt::format(
      "Swept {} configurations ({} failed) in {:.2f} s: {:.0f} configurations/s {}\n"
      "Results: {} and {}\n",
      total, failed, seconds, static_cast<double>(total) / seconds, where, csv_path.string(),
      jsonl_path.string());
  const std::size_t ran = total - failed;
  if (distinct.size() < ran) {
    out += fmt::format(
        "{} distinct results among {} configurations that ran: configurations that select the "
        "same funds with the same weights give the same numbers",
        distinct.size(), ran);
    out += with_warnings > 0 ? fmt::format(
                                   ", and {} configurations set keys that have no effect (see "
                                   "\"warnings\" in results.jsonl)\n",
                                   with_warnings)
                             : ".\n";
  } else {
    out += fmt::format("{} distinct results: every configuration gives different numbers.\n",
                       distinct.size());
  }
  std::vector<SweepRow> top;
  while (!best.empty()) {
    top.push_back(best.top());
    best.pop();
  }
  std::reverse(top.begin(), top.end());
  if (!top.empty()) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"#"};
    for (const auto& axis : grid.axes) header.push_back(axis.key);
    for (const char* h : {"CAGR", "Vol", "Sharpe", "Sortino", "MaxDD", "IR"})
      header.emplace_back(h);
    rows.push_back(header);
    for (const auto& row : top) {
      std::vector<std::string> line = {std::to_string(row.index)};
      for (std::size_t k = 0; k < grid.axes.size(); ++k) {
        line.push_back(grid.axes[k].values[row.coordinates[k]].label);
      }
      const Stats& s = row.out_user;
      for (auto [v, pct] : {std::pair{s.cagr, true},
                            {s.vol, true},
                            {s.sharpe, false},
                            {s.sortino, false},
                            {s.max_drawdown, true},
                            {s.information_ratio, false}}) {
        line.push_back(Fixed(v, pct));
      }
      rows.push_back(std::move(line));
    }
    out += fmt::format("\nBest {} by out-of-sample {} of the user portfolio:\n", top.size(),
                       options.metric);
    out += RenderTextTable(rows);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace trend
