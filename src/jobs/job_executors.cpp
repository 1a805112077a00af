#include "jobs/job_executors.hpp"

#include <fmt/format.h>

#include "data/csv_writer.hpp"
#include "digest/sha256.hpp"
#include "jobs/celery_message.hpp"
#include "jobs/distributed_periods.hpp"
#include "jobs/distributed_sweep.hpp"
#include "jobs/job_client.hpp"
#include "jobs/scatter_gather.hpp"
#include "jobs/sweep_rows.hpp"
#include "jobs/tasks.hpp"
#include "report/sweep_table.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

// The names messages give the job's inputs: as the API's fields.
constexpr const char* kConfigName = "config";
constexpr const char* kGridName = "grid";

std::string DocumentText(const json& doc) {
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// A sweep's base config and grid, parsed as a worker parses them.
struct SweepSetup {
  LoadedConfig base;
  SweepGrid grid;
};

SweepSetup ParseSweep(const JobSpec& spec) {
  SweepSetup s{ParseTaskConfig(spec.config_text, kConfigName), {}};
  try {
    s.grid = ParseSweepGrid(spec.grid_text, kGridName, s.base, "");
  } catch (const InputError& e) {
    throw TaskError("ConfigError", e.what());
  }
  if (s.grid.LacksSchedule(s.base.settings))
    throw TaskError("ConfigError",
                    "grid: mode: multi_period needs a multi_period section in config");
  return s;
}

// Collects rows into the two files `trend sweep` writes.
class SweepFiles {
 public:
  explicit SweepFiles(const SweepGrid& grid) : grid_(grid) { result_.csv = SweepCsvHeader(grid); }
  void Add(const SweepRow& row) {
    result_.csv += SweepCsvLine(grid_, row);
    result_.json += SweepJsonLine(grid_, row).dump() + "\n";
  }
  JobResult Take() { return std::move(result_); }

 private:
  const SweepGrid& grid_;
  JobResult result_;
};

const ReturnsFrame& Returns(const JobSpec& spec) {
  if (!spec.returns) throw TaskError("TypeError", "the job has no returns");
  return *spec.returns;
}

std::optional<JobResult> LocalRun(const JobSpec& spec, JobControl& control) {
  const LoadedConfig config = ParseTaskConfig(spec.config_text, kConfigName);
  const bool multi = spec.kind == JobKind::kMultiPeriod;
  RunGuard unlimited(WorkLimits::None());
  const RunGuard& guard = control.guard ? *control.guard : unlimited;
  if (!multi && control.progress) control.progress(0, 1);
  const json doc = RunDocument(config, Returns(spec), multi, spec.strict, guard, control.progress);
  if (!multi && control.progress) control.progress(1, 1);
  return JobResult{DocumentText(doc), ""};
}

std::optional<JobResult> LocalSweep(const JobSpec& spec, JobControl& control,
                                    const LocalExecutorOptions& options) {
  const SweepSetup setup = ParseSweep(spec);
  PreparedReturns data;
  try {
    data = PrepareSweepReturns(setup.base.settings, setup.grid, Returns(spec), "dataset");
  } catch (const InputError& e) {
    throw TaskError("RunError", e.what());
  }
  SweepOptions sweep;
  sweep.threads = options.sweep_threads;
  sweep.stop = control.stop;
  sweep.guard = control.guard;
  SweepFiles files(setup.grid);
  const std::size_t total = setup.grid.size();
  if (control.progress) control.progress(0, total);
  RunSweep(
      data, setup.base.settings, setup.grid, sweep, [&](const SweepRow& row) { files.Add(row); },
      [&](std::size_t done) {
        if (control.progress) control.progress(done, total);
      });
  if (control.stop && *control.stop) return std::nullopt;
  return files.Take();
}

// The returns as the CSV the workers read, with the config's date column: checked to read
// back as the same frame, so the workers compute on the same numbers.
std::string CsvForWorkers(const JobSpec& spec, const AnalysisSettings& settings) {
  std::optional<std::string> csv = FormatReturnsCsvExact(Returns(spec), settings.data.date_column);
  if (!csv) throw TaskError("DatasetError", "the dataset does not read back identically from CSV");
  return *csv;
}

class BrokerExecutor {
 public:
  explicit BrokerExecutor(BrokerExecutorOptions options) : options_(std::move(options)) {}

  std::optional<JobResult> operator()(const JobSpec& spec, JobControl& control) const {
    switch (spec.kind) {
      case JobKind::kRun:
        return Run(spec, control);
      case JobKind::kMultiPeriod:
        return MultiPeriod(spec, control);
      case JobKind::kSweep:
        return Sweep(spec, control);
    }
    return std::nullopt;
  }

 private:
  JobClient Connect(const JobControl& control) const {
    return ConnectJobClient(options_.broker_url, options_.backend_url, options_.queue,
                            control.stop);
  }

  // One trend.run task: the same document the worker's task returns to a Python caller.
  std::optional<JobResult> Run(const JobSpec& spec, JobControl& control) const {
    const LoadedConfig config = ParseTaskConfig(spec.config_text, kConfigName);
    const std::string csv = CsvForWorkers(spec, config.settings);
    JobClient client = Connect(control);
    const std::string dataset = Sha256Hex(csv);
    client.backend->PutDataset(dataset, csv);
    ScatterTask task;
    task.task.id = MakeTaskId();
    task.task.task = "trend.run";
    task.task.queue = options_.queue;
    task.task.kwargs = {{"config", spec.config_text},
                        {"dataset", dataset},
                        {"multi_period", false},
                        {"strict", spec.strict}};
    task.what = "the analysis";
    std::vector<ScatterTask> tasks;
    tasks.push_back(std::move(task));
    std::optional<JobResult> result;
    if (control.progress) control.progress(0, 1);
    ScatterGather(
        *client.broker, *client.backend, std::move(tasks), Scatter(control),
        [&](std::size_t, const json& doc) {
          result = JobResult{DocumentText(doc), ""};
        },
        [&](std::size_t done) {
          if (control.progress) control.progress(done, 1);
        });
    return result;
  }

  // A trend.periods task per period, combined here; threshold_hold carries holdings from
  // period to period, so it runs here.
  std::optional<JobResult> MultiPeriod(const JobSpec& spec, JobControl& control) const {
    const LoadedConfig config = ParseTaskConfig(spec.config_text, kConfigName);
    const AnalysisSettings& settings = config.settings;
    RunGuard unlimited(WorkLimits::None());
    const RunGuard& guard = control.guard ? *control.guard : unlimited;
    if (!settings.multi_period || settings.portfolio.policy == PortfolioPolicy::kThresholdHold)
      return JobResult{DocumentText(RunDocument(config, Returns(spec), true, spec.strict, guard,
                                                control.progress)),
                       ""};
    std::vector<std::string> warnings = ConfigWarnings(config, RunMode::kMultiPeriod);
    if (spec.strict && !warnings.empty()) throw TaskError("StrictWarning", warnings.front());
    PeriodsInput input;
    input.config_text = spec.config_text;
    input.config_name = kConfigName;
    input.source = "dataset";
    const std::string csv = CsvForWorkers(spec, settings);
    JobClient client = Connect(control);
    DistributedPeriodsOptions spread;
    spread.queue = options_.queue;
    spread.stop = control.stop;
    spread.notice = options_.notice;
    std::optional<MultiPeriodResult> result;
    try {
      result = RunMultiPeriodOnWorkers(*client.broker, *client.backend, input, csv, Returns(spec),
                                       settings, guard, spread, control.progress);
    } catch (const WorkLimitError& e) {
      throw TaskError("WorkLimitError", e.what());
    } catch (const RemoteTaskError&) {
      throw;
    } catch (const InputError& e) {
      throw TaskError("RunError", e.what());
    }
    if (!result) return std::nullopt;
    const json doc = MultiPeriodDocument(*result, std::move(warnings));
    if (spec.strict && !doc["warnings"].empty())
      throw TaskError("StrictWarning", doc["warnings"][0].get<std::string>());
    return JobResult{DocumentText(doc), ""};
  }

  std::optional<JobResult> Sweep(const JobSpec& spec, JobControl& control) const {
    const SweepSetup setup = ParseSweep(spec);
    SweepChunkInput input;
    input.config_text = spec.config_text;
    input.config_name = kConfigName;
    input.grid_text = spec.grid_text;
    input.grid_name = kGridName;
    const std::string csv = CsvForWorkers(spec, setup.base.settings);
    JobClient client = Connect(control);
    DistributedSweepOptions spread;
    spread.queue = options_.queue;
    spread.count = setup.grid.size();
    spread.stop = control.stop;
    spread.notice = options_.notice;
    SweepFiles files(setup.grid);
    const std::size_t total = setup.grid.size();
    if (control.progress) control.progress(0, total);
    const std::size_t rows = RunDistributedSweep(
        *client.broker, *client.backend, input, csv, spread,
        [&](const SweepRow& row) { files.Add(row); },
        [&](std::size_t done) {
          if (control.progress) control.progress(done, total);
        });
    if (rows < total) return std::nullopt;
    return files.Take();
  }

  ScatterOptions Scatter(const JobControl& control) const {
    ScatterOptions scatter;
    scatter.stop = control.stop;
    scatter.notice = options_.notice;
    return scatter;
  }

  BrokerExecutorOptions options_;
};

}  // namespace

JobExecutor MakeLocalExecutor(LocalExecutorOptions options) {
  return [options](const JobSpec& spec, JobControl& control) -> std::optional<JobResult> {
    if (spec.kind == JobKind::kSweep) return LocalSweep(spec, control, options);
    return LocalRun(spec, control);
  };
}

JobExecutor MakeBrokerExecutor(BrokerExecutorOptions options) {
  return BrokerExecutor(std::move(options));
}

}  // namespace trend::jobs
