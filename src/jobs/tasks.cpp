#include "jobs/tasks.hpp"

#include <fmt/format.h>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "data/date.hpp"
#include "digest/sha256.hpp"
#include "error/input_error.hpp"
#include "jobs/distributed_periods.hpp"
#include "jobs/resilient_redis.hpp"
#include "jobs/sweep_rows.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

const json& Kwarg(const TaskMessage& m, const char* key) {
  const auto it = m.kwargs.find(key);
  if (it == m.kwargs.end())
    throw TaskError("TypeError", fmt::format("{}: missing keyword argument '{}'", m.task, key));
  return *it;
}

// A chunk's configurations or periods [first, first + count).
std::pair<std::size_t, std::size_t> RangeKwargs(const TaskMessage& m) {
  const json& first = Kwarg(m, "first");
  const json& count = Kwarg(m, "count");
  if (!first.is_number_unsigned() || !count.is_number_unsigned())
    throw TaskError("TypeError", fmt::format("{}: first and count must be whole numbers", m.task));
  return {first.get<std::size_t>(), count.get<std::size_t>()};
}

bool FlagKwarg(const TaskMessage& m, const char* key) {
  const auto it = m.kwargs.find(key);
  if (it == m.kwargs.end()) return false;
  if (!it->is_boolean())
    throw TaskError("TypeError", fmt::format("{}: {} must be true or false", m.task, key));
  return it->get<bool>();
}

std::string TextKwarg(const TaskMessage& m, const char* key) {
  const json& value = Kwarg(m, key);
  if (!value.is_string())
    throw TaskError("TypeError", fmt::format("{}: {} must be a string", m.task, key));
  return value.get<std::string>();
}

// The config as the API takes it: an object, or YAML text.
LoadedConfig ConfigKwarg(const TaskMessage& m, const char* key) {
  const json& node = Kwarg(m, key);
  if (!node.is_object() && !node.is_string())
    throw TaskError("TypeError",
                    fmt::format("{}: {} must be an object or a YAML string", m.task, key));
  return ParseTaskConfig(node.is_string() ? node.get<std::string>() : node.dump(), key);
}

// Parsed return panels by content hash and date column: the same dataset arrives with
// every task of a sweep or a desk's nightly batch, and is parsed once per worker process.
class FrameCache {
 public:
  ReturnsFrame Get(const std::string& csv, const std::string& date_column) {
    const std::string key = Sha256Hex(csv) + "\n" + date_column;
    {
      std::lock_guard lock(mutex_);
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first == key) {
          entries_.splice(entries_.begin(), entries_, it);
          return it->second;
        }
      }
    }
    CsvOptions options;
    options.date_column = date_column;
    ReturnsFrame frame;
    try {
      frame = ParseReturnsCsv(csv, "dataset", options);
    } catch (const InputError& e) {
      throw TaskError("DatasetError", e.what());
    }
    std::lock_guard lock(mutex_);
    entries_.emplace_front(key, frame);
    if (entries_.size() > 8) entries_.pop_back();
    return frame;
  }

 private:
  std::mutex mutex_;
  std::list<std::pair<std::string, ReturnsFrame>> entries_;
};

ReturnsFrame DatasetKwarg(const TaskMessage& m, const AnalysisSettings& settings,
                          const DatasetFetcher& datasets, FrameCache& cache) {
  if (m.kwargs.contains("csv")) return cache.Get(TextKwarg(m, "csv"), settings.data.date_column);
  if (!m.kwargs.contains("dataset"))
    throw TaskError("TypeError",
                    fmt::format("{}: give dataset (an id) or csv (the file's text)", m.task));
  const std::string id = TextKwarg(m, "dataset");
  std::optional<std::string> csv = datasets ? datasets(id) : std::nullopt;
  if (!csv) throw TaskError("DatasetNotFound", fmt::format("no dataset with id {}", id));
  return cache.Get(*csv, settings.data.date_column);
}

void AddUnique(std::vector<std::string>& all, const std::vector<std::string>& more) {
  for (const auto& w : more) {
    if (std::find(all.begin(), all.end(), w) == all.end()) all.push_back(w);
  }
}

}  // namespace

LoadedConfig ParseTaskConfig(const std::string& text, const std::string& name) {
  // A desk sends the same config with many tasks: parsed once per process (parsing the YAML
  // cost a fifth of a demo analysis), the last few kept.
  static std::mutex mutex;
  static std::list<std::pair<std::string, LoadedConfig>> recent;
  const std::string key = name + '\0' + text;
  {
    std::lock_guard lock(mutex);
    for (auto it = recent.begin(); it != recent.end(); ++it) {
      if (it->first == key) {
        recent.splice(recent.begin(), recent, it);
        return it->second;
      }
    }
  }
  // JSON is YAML: one parser validates both and names the key as the CLI does.
  LoadedConfig config;
  try {
    config = ParseConfig(text, name, "");
  } catch (const InputError& e) {
    throw TaskError("ConfigError", e.what());
  }
  if (config.settings.data.universe_membership_path)
    throw TaskError("ConfigError",
                    "data.universe_membership_path names a file on the client's machine; it is "
                    "not read by a worker");
  if (!config.settings.data.source.empty())
    throw TaskError("ConfigError",
                    "data.source names a database on the client's machine; send the returns as "
                    "csv or a dataset id");
  std::lock_guard lock(mutex);
  recent.emplace_front(key, config);
  if (recent.size() > 8) recent.pop_back();
  return config;
}

json RunDocument(const LoadedConfig& config, ReturnsFrame frame, bool multi, bool strict,
                 const RunGuard& guard,
                 const std::function<void(std::size_t, std::size_t)>& progress) {
  const AnalysisSettings& settings = config.settings;
  std::vector<std::string> warnings;
  AddUnique(warnings,
            ConfigWarnings(config, multi ? RunMode::kMultiPeriod : RunMode::kSinglePeriod));
  auto check_strict = [&] {
    if (strict && !warnings.empty()) throw TaskError("StrictWarning", warnings.front());
  };
  check_strict();
  PipelineContext pipeline;
  pipeline.guard = &guard;
  json doc;
  try {
    if (multi) {
      if (!settings.multi_period)
        throw TaskError("ConfigError",
                        "multi_period: true needs a multi_period section (frequency, "
                        "in_sample_len, out_sample_len, start, end)");
      const PeriodProgress period_progress = [&](std::size_t done, std::size_t total) {
        if (progress) progress(done, total);
      };
      const MultiPeriodResult result =
          AnalyseMultiPeriod(std::move(frame), settings, "dataset", pipeline, period_progress);
      doc = MultiPeriodDocument(result, warnings);
    } else {
      const AnalysisResult result = AnalyseReturns(std::move(frame), settings, "dataset", pipeline);
      AddUnique(warnings, result.warnings);
      doc = AnalysisToJson(result);
      doc["warnings"] = warnings;
    }
  } catch (const WorkLimitError& e) {
    throw TaskError("WorkLimitError", e.what());
  } catch (const InputError& e) {
    throw TaskError("RunError", e.what());
  }
  warnings = doc["warnings"].get<std::vector<std::string>>();
  check_strict();
  return doc;
}

json MultiPeriodDocument(const MultiPeriodResult& result, std::vector<std::string> warnings) {
  AddUnique(warnings, result.warnings);
  std::vector<std::string> skipped;
  for (const auto& s : result.skipped) {
    skipped.push_back(fmt::format("period {}..{} skipped: {}", FormatMonth(s.period.in_start),
                                  FormatMonth(s.period.out_end), s.reason));
  }
  AddUnique(warnings, skipped);
  json doc = MultiPeriodToJson(result);
  doc["warnings"] = warnings;
  return doc;
}

namespace {

json RunTask(const TaskMessage& m, TaskContext& context, const TrendTaskOptions& options,
             FrameCache& cache) {
  const bool multi = FlagKwarg(m, "multi_period");
  const bool strict = FlagKwarg(m, "strict");
  const LoadedConfig config = ConfigKwarg(m, "config");
  ReturnsFrame frame = DatasetKwarg(m, config.settings, options.datasets, cache);
  const RunGuard own_guard(options.limits);
  return RunDocument(config, std::move(frame), multi, strict,
                     context.guard ? *context.guard : own_guard, context.progress);
}

// trend.periods: periods of a multi-period schedule, for a distributed backtest.
void AddPeriodsTask(TaskRegistry& registry, std::shared_ptr<TrendTaskOptions> shared,
                    std::shared_ptr<FrameCache> cache) {
  registry.Add("trend.periods", [shared, cache](const TaskMessage& m, TaskContext& context) {
    PeriodsInput input;
    input.config_text = TextKwarg(m, "config");
    input.config_name = m.kwargs.value("config_name", std::string("config"));
    input.base_dir = m.kwargs.value("base_dir", std::string());
    input.source = m.kwargs.value("source", std::string("dataset"));
    if (m.kwargs.contains("seed")) {
      if (!m.kwargs["seed"].is_number_unsigned())
        throw TaskError("TypeError", "trend.periods: seed must be a whole number");
      input.seed = m.kwargs["seed"].get<std::uint64_t>();
    }
    const auto [first, count] = RangeKwargs(m);
    try {
      const LoadedConfig base = ParseConfig(input.config_text, input.config_name, input.base_dir);
      const ReturnsFrame frame = DatasetKwarg(m, base.settings, shared->datasets, *cache);
      return RunPeriodsChunk(frame, input, first, count, shared->limits, context.progress);
    } catch (const WorkLimitError& e) {
      throw TaskError("WorkLimitError", e.what());
    } catch (const InputError& e) {
      throw TaskError("ConfigError", e.what());
    }
  });
}

}  // namespace

void TaskRegistry::Add(std::string name, TaskFunction function) {
  tasks_[std::move(name)] = std::move(function);
}

const TaskFunction* TaskRegistry::Find(std::string_view name) const {
  const auto it = tasks_.find(name);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<std::string> TaskRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, function] : tasks_) names.push_back(name);
  return names;
}

void AddTrendTasks(TaskRegistry& registry, TrendTaskOptions options) {
  auto shared = std::make_shared<TrendTaskOptions>(std::move(options));
  auto cache = std::make_shared<FrameCache>();
  AddPeriodsTask(registry, shared, cache);
  registry.Add("trend.ping", [](const TaskMessage&, TaskContext&) { return json("pong"); });
  registry.Add("trend.run", [shared, cache](const TaskMessage& m, TaskContext& context) {
    return RunTask(m, context, *shared, *cache);
  });
  registry.Add("trend.sweep_chunk", [shared, cache](const TaskMessage& m, TaskContext& context) {
    SweepChunkInput input;
    input.config_text = TextKwarg(m, "config");
    input.grid_text = TextKwarg(m, "grid");
    input.config_name = m.kwargs.value("config_name", std::string("config"));
    input.grid_name = m.kwargs.value("grid_name", std::string("grid"));
    input.base_dir = m.kwargs.value("base_dir", std::string());
    const auto [first, count] = RangeKwargs(m);
    try {
      const LoadedConfig base = ParseConfig(input.config_text, input.config_name, input.base_dir);
      const ReturnsFrame frame = DatasetKwarg(m, base.settings, shared->datasets, *cache);
      return RunSweepChunk(frame, input, first, count, shared->limits, context.progress);
    } catch (const InputError& e) {
      throw TaskError("ConfigError", e.what());
    }
  });
}

void AddBenchTasks(TaskRegistry& registry, const std::string& ledger_url) {
  // The ledger outlives a Redis restart like the broker connection does.
  auto ledger = std::make_shared<ResilientRedis>(ParseRedisUrl(ledger_url), std::chrono::seconds(5),
                                                 "bench ledger", nullptr);
  registry.Add("bench.noop", [](const TaskMessage& m, TaskContext&) {
    if (m.args.empty()) throw TaskError("TypeError", "bench.noop(i): missing i");
    return m.args[0];
  });
  registry.Add("bench.record", [ledger](const TaskMessage& m, TaskContext&) {
    if (m.args.size() < 3) throw TaskError("TypeError", "bench.record(i, run_id, sleep_ms)");
    const std::string i = m.args[0].dump();
    const std::string run_id =
        m.args[1].is_string() ? m.args[1].get<std::string>() : m.args[1].dump();
    const double sleep_ms = m.args[2].is_number() ? m.args[2].get<double>() : 0.0;
    auto push = [&](const std::string& list) {
      ledger->Run([&](RedisClient& c) {
        CheckReply(c.Command({"RPUSH", list, i}), "bench ledger");
        return 0;
      });
    };
    push("bench:start:" + run_id);
    if (sleep_ms > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(sleep_ms * 1000)));
    push("bench:exec:" + run_id);
    return m.args[0];
  });
}

}  // namespace trend::jobs
