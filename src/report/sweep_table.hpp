// A sweep's rows as the files `trend sweep` writes: results.csv (a header, then a line per
// configuration) and results.jsonl (a JSON object per configuration). One formatting for the
// CLI and the jobs API, so a sweep run as a job downloads the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/sweep_grid.hpp"
#include "sweep/sweep.hpp"

namespace trend {

std::string SweepCsvHeader(const SweepGrid& grid);                     // ends with a newline
std::string SweepCsvLine(const SweepGrid& grid, const SweepRow& row);  // ends with a newline
// NaN statistics are null, as in `trend run --json`.
nlohmann::json SweepJsonLine(const SweepGrid& grid, const SweepRow& row);

}  // namespace trend
