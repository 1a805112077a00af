// The summary table every export shares (spec §11.2): Equal Weight, User Weight, then one row
// per fund, with in- and out-of-sample statistics and one IR column per benchmark. Unlike the
// reference's text/CSV writers, the out-of-sample MaxDD stays in its own column.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

enum class CellKind { kPercent, kRatio };

struct SummaryColumn {
  std::string header;
  CellKind kind;
};

struct SummaryRow {
  std::string name;                           // empty for the separator row
  std::vector<std::optional<double>> values;  // parallel to columns; Weight first
};

struct SummaryTable {
  std::vector<SummaryColumn> columns;  // excluding Name
  std::vector<SummaryRow> rows;
};

SummaryTable BuildSummaryTable(const AnalysisResult& result);

// "In:  2015-01 → 2022-12" / "Out: 2023-01 → 2024-12" and a metadata line.
std::string InSampleLine(const AnalysisResult& result);
std::string OutSampleLine(const AnalysisResult& result);
std::string MetadataLine(const AnalysisResult& result, const AnalysisSettings& settings);

}  // namespace trend
