// The tasks a worker runs, by Celery task name. A task takes the message's args and kwargs
// and returns a JSON result, or throws TaskError (its type is the exc_type Python raises from
// AsyncResult.get()). Anything else thrown becomes a failure of the same kind.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.hpp"
#include "data/returns_frame.hpp"
#include "jobs/celery_message.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/run_guard.hpp"

namespace trend::jobs {

class TaskError : public std::runtime_error {
 public:
  TaskError(std::string type, const std::string& message)
      : std::runtime_error(message), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

struct TaskContext {
  // Reports progress ({done, total}, Celery's PROGRESS state); throttled by the worker.
  std::function<void(std::size_t done, std::size_t total)> progress;
  // The limits and cancellation of trend.run when set (an in-process queue cancels a revoked
  // job through it); else the task makes its own from TrendTaskOptions::limits.
  const RunGuard* guard = nullptr;
};

using TaskFunction = std::function<nlohmann::json(const TaskMessage&, TaskContext&)>;

class TaskRegistry {
 public:
  void Add(std::string name, TaskFunction function);
  const TaskFunction* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, TaskFunction, std::less<>> tasks_;
};

// Where `dataset` ids are looked up (the result backend's store); nullopt: unknown id.
using DatasetFetcher = std::function<std::optional<std::string>(const std::string& id)>;

struct TrendTaskOptions {
  DatasetFetcher datasets;
  WorkLimits limits;  // the limits `trend run` enforces, per task
};

// trend.ping, trend.run (kwargs as the body of POST /api/v1/runs; returns `trend run --json`'s
// document), trend.sweep_chunk (a base config, a grid and a range; returns the rows) and
// trend.periods (a config and a range of its multi-period schedule; returns the analyses).
void AddTrendTasks(TaskRegistry& registry, TrendTaskOptions options);

// A config sent with a task (YAML or JSON text), `name` naming it in messages. Throws
// TaskError("ConfigError") naming the key, and for settings that name files or databases on
// the sender's machine (data.universe_membership_path, data.source).
LoadedConfig ParseTaskConfig(const std::string& text, const std::string& name);

// The document `trend run --json` writes (its warnings included: the config's, the run's and,
// multi-period, each skipped period), as trend.run returns it. Throws TaskError: StrictWarning
// (strict and a warning), ConfigError, RunError, WorkLimitError; RunCancelled passes through.
nlohmann::json RunDocument(const LoadedConfig& config, ReturnsFrame frame, bool multi, bool strict,
                           const RunGuard& guard,
                           const std::function<void(std::size_t, std::size_t)>& progress);
// A multi-period result as that document, after the warnings given.
nlohmann::json MultiPeriodDocument(const MultiPeriodResult& result,
                                   std::vector<std::string> warnings);

// The queue benchmark's contract (../shared/peers/queue/bench_tasks.py): bench.noop(i) -> i;
// bench.record(i, run_id, sleep_ms) appends i to bench:start:<run_id> and, after the sleep, to
// bench:exec:<run_id> in the ledger Redis, and returns i.
void AddBenchTasks(TaskRegistry& registry, const std::string& ledger_url);

}  // namespace trend::jobs
