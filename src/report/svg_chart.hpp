// Charts as inline SVG for the HTML report: line charts (growth, drawdown, rolling Sharpe,
// stacked weights) and bar charts (turnover, cost, contributions), with axis titles, units,
// a time axis and an optional vertical marker (the in-/out-of-sample split). No script and no
// network: a report opens and prints anywhere.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace trend {

struct ChartSeries {
  std::string label;
  std::vector<double> values;  // NaN: a gap
  std::string color;           // CSS colour
};

enum class AxisUnit { kNumber, kPercent, kBasisPoints };

struct ChartAxis {
  std::string title;
  AxisUnit unit = AxisUnit::kNumber;
  bool log = false;  // values must be positive
};

struct LineChart {
  std::string title;
  std::vector<std::string> x_labels;  // one per value; a subset is printed as ticks
  std::string x_title;
  ChartAxis y;
  std::vector<ChartSeries> series;
  // Series after the first are dashed and drawn thinner, so identical series stay visible.
  bool stacked = false;               // areas, each series on top of the previous ones
  std::optional<std::size_t> marker;  // index of a vertical line
  std::string marker_label;
};

struct BarChart {
  std::string title;
  std::vector<std::string> labels;
  std::string label_title;
  ChartAxis value;
  std::vector<ChartSeries> series;  // grouped
  bool horizontal = false;          // long label lists (contributors)
};

std::string RenderLineChart(const LineChart& chart);
std::string RenderBarChart(const BarChart& chart);

// Text safe inside HTML/SVG elements and attribute values.
std::string EscapeXml(const std::string& text);

// "12.3%", "1.25", "35 bps": how axis ticks and report tables print a value of the unit.
std::string FormatAxisValue(double value, AxisUnit unit, int decimals);

}  // namespace trend
