// `trend sweep`: run a grid of configurations on every core, stream one row per configuration
// to results.csv and results.jsonl, print the best K, or measure the speed-up per thread
// count (--scaling). With --broker the grid is spread over `trend worker` processes instead,
// with the same files as the result, and --scaling times 1..N worker processes.
#pragma once

#include <cstddef>
#include <string>

#include "pipeline/run_guard.hpp"

namespace trend {

struct SweepCommandOptions {
  std::string config_path;
  std::string grid_path;
  std::string returns_path;  // empty: data.csv_path
  std::size_t threads = 0;   // 0: every hardware thread
  std::string out_dir = "sweep-results";
  std::size_t top = 10;
  std::string metric = "sharpe";  // cagr | vol | sharpe | sortino | max_drawdown | ir
  bool scaling = false;
  std::size_t scaling_sample = 2000;  // configurations timed per thread count
  bool quiet = false;
  WorkLimits limits;    // as trend run's
  bool strict = false;  // a warning (config or any configuration's) is an error: exit 2
  // Distributed: chunks of the grid go to `trend worker` processes through this broker.
  std::string broker;
  std::string backend;  // empty: the broker
  std::string queue = "trend";
  std::size_t chunk_size = 0;       // 0: about 128 chunks of 32 or more
  std::size_t scaling_workers = 0;  // --scaling with --broker: 1..N processes; 0: every core
};

int SweepCommand(const SweepCommandOptions& options);

}  // namespace trend
