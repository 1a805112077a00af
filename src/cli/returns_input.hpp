// Where a run's returns come from: --returns (a CSV), else data.source (the database trend
// ingest loads), else data.csv_path. One place, so run and sweep agree.
#pragma once

#include <string>

#include "config/settings.hpp"
#include "data/returns_frame.hpp"

namespace trend {

struct ReturnsInput {
  ReturnsFrame frame;
  std::string name;  // the path or database, for messages and reports
};

// `returns_override` is --returns; `config_path` names the config in messages. A --returns
// beside data.source prints a warning that data.source is not read.
ReturnsInput LoadReturnsInput(const AnalysisSettings& settings, const std::string& returns_override,
                              const std::string& config_path);

// The returns as CSV text for workers on other machines: the file's own bytes, or, for
// data.source, the panel written as CSV and checked to read back as the same numbers (throws
// InputError when it does not).
std::string ReturnsCsvText(const AnalysisSettings& settings, const std::string& returns_override,
                           const ReturnsInput& input);

// A whole file; throws InputError naming the path and what it is.
std::string ReadTextFile(const std::string& path, const char* what);

}  // namespace trend
