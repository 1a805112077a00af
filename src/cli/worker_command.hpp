// `trend worker`: executes Celery tasks (trend.run, trend.sweep_chunk, trend.ping; the queue
// benchmark's bench.* with --bench-tasks) from a Redis broker, results in Redis as Celery
// stores them. --concurrency N forks N worker processes under a supervisor that restarts any
// that die.
#pragma once

#include <string>
#include <vector>

#include "pipeline/run_guard.hpp"

namespace trend {

struct WorkerCommandOptions {
  std::string broker;
  std::string backend;           // empty: the broker
  std::string queues = "trend";  // comma-separated
  std::size_t concurrency = 0;   // 0: one process per core
  std::size_t prefetch = 16;
  unsigned visibility_timeout = 3600;
  bool bench_tasks = false;
  std::string name;       // empty: trend@<host>
  int metrics_port = -1;  // -1: none; 0: any free port (printed)
  WorkLimits limits;
};

int WorkerCommand(const WorkerCommandOptions& options);

}  // namespace trend
