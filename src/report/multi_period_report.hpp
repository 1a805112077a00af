// Reports of a multi-period backtest: the terminal/txt report (per-period table, combined
// summary, execution, top contributors, the equity curve as a one-line chart) and the file
// exports in export.formats (csv tables, full json, txt, and a workbook with a summary sheet
// and one sheet per period).
#pragma once

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "multiperiod/multi_period.hpp"

namespace trend {

std::string FormatMultiPeriodReport(const MultiPeriodResult& result);

// Returns the paths written; throws InputError when a file cannot be written.
std::vector<std::string> WriteMultiPeriodExports(const MultiPeriodResult& result,
                                                 const ExportSettings& exports);

}  // namespace trend
