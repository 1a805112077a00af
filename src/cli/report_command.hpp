// `trend report`: the analysis of `trend run` (or its multi-period backtest) written as a
// self-contained HTML report, or a PDF of it printed by headless Chromium.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/run_guard.hpp"

namespace trend {

struct ReportOptions {
  std::string config_path;
  std::string returns_path;  // empty: data.csv_path
  std::string output_path;   // .html or .pdf
  std::optional<std::uint64_t> seed;
  bool multi_period = false;
  WorkLimits limits;
};

// Returns the process exit status; throws InputError for bad input.
int ReportCommand(const ReportOptions& options);

}  // namespace trend
