// `trend run`: one single-period analysis (or, with --multi-period, a walk-forward backtest)
// from a config file and a returns CSV.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/run_guard.hpp"

namespace trend {

struct RunOptions {
  std::string config_path;
  std::string returns_path;  // empty: data.csv_path
  std::string json_path;     // empty: none; "-": stdout
  std::string out_dir;       // empty: export.directory
  std::optional<std::uint64_t> seed;
  bool multi_period = false;  // walk forward over the multi_period schedule
  bool no_export = false;
  bool quiet = false;
  bool strict = false;  // every warning is an error (exit 2)
  WorkLimits limits;    // --max-cells, --max-pairwise-funds, --max-periods, --no-limits
  // --multi-period over `trend worker` processes: one task per period on this broker.
  std::string broker;
  std::string backend;  // empty: the broker
  std::string queue = "trend";
};

// Returns the process exit status; throws InputError for bad input.
int RunCommand(const RunOptions& options);

}  // namespace trend
