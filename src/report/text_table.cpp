#include "report/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace trend {

std::string RenderTextTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t j = 0; j < row.size(); ++j) widths[j] = std::max(widths[j], row[j].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      out += j == 0 ? fmt::format("{:<{}}", row[j], widths[j])
                    : fmt::format("  {:>{}}", row[j], widths[j]);
    }
    out += "\n";
  }
  return out;
}

std::string Sparkline(const std::vector<double>& values, std::size_t width) {
  static const char* const kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty() || width == 0) return "";
  width = std::min(width, values.size());
  std::vector<double> cells(width);
  for (std::size_t c = 0; c < width; ++c) {
    cells[c] = values[std::min(values.size() - 1, (c + 1) * values.size() / width - 1)];
  }
  const auto [lo, hi] = std::minmax_element(cells.begin(), cells.end());
  std::string out;
  for (double v : cells) {
    const double t = *hi > *lo ? (v - *lo) / (*hi - *lo) : 0.5;
    out += kBlocks[std::clamp(static_cast<int>(std::lround(t * 7.0)), 0, 7)];
  }
  return out;
}

}  // namespace trend
