// Human-readable reports: the terminal summary of `trend run` and the txt export.
#pragma once

#include <string>

#include "config/settings.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

// Title, windows, metadata, realised volatility, the summary table and the regime block.
std::string FormatTextSummary(const AnalysisResult& result, const AnalysisSettings& settings);

// The same, for a terminal: adds the selected funds with their weights as a bar chart.
std::string FormatTerminalSummary(const AnalysisResult& result, const AnalysisSettings& settings);

}  // namespace trend
