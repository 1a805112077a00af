// Plain-text tables for terminals and txt exports: the first column left-aligned, the others
// right-aligned, each as wide as its widest cell.
#pragma once

#include <string>
#include <vector>

namespace trend {

std::string RenderTextTable(const std::vector<std::vector<std::string>>& rows);

// A one-line chart of a series with the eight block characters, `width` cells wide
// (values are resampled by taking the last value in each cell's span).
std::string Sparkline(const std::vector<double>& values, std::size_t width);

}  // namespace trend
