#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace trend {
namespace {

constexpr double kWidth = 760, kHeight = 300;
constexpr double kLeft = 70, kRight = 16, kTop = 34, kBottom = 50;
constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  bool empty() const { return !(low <= high); }
};

// 1, 2 or 5 times a power of ten, near span / count.
double NiceStep(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

struct Scale {
  double low = 0, high = 1;
  bool log = false;
  std::vector<double> ticks;
  double Fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(low)) / (std::log10(high) - std::log10(low));
    return (v - low) / (high - low);
  }
};

Scale MakeScale(Range range, bool log, bool include_zero) {
  Scale s;
  if (range.empty()) range = Range{0, 1};
  if (log && range.low > 0) {
    s.log = true;
    s.low = range.low;
    s.high = range.high > range.low ? range.high : range.low * 1.1;
    const double first = std::floor(std::log10(s.low)), last = std::ceil(std::log10(s.high));
    const double decades = last - first;
    for (double d = first; d <= last; ++d) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (decades > 3 && m != 1.0) continue;
        const double t = m * std::pow(10.0, d);
        if (t >= s.low && t <= s.high) s.ticks.push_back(t);
      }
    }
    if (s.ticks.size() < 2) s.ticks = {s.low, s.high};
    return s;
  }
  if (include_zero) {
    range.low = std::min(range.low, 0.0);
    range.high = std::max(range.high, 0.0);
  }
  if (range.high - range.low < 1e-12) {
    // A flat series (no drawdown, no cost): a small band around it, not a unit-wide one.
    const double pad = std::max(std::abs(range.low) * 0.1, 0.01);
    if (range.low >= 0) range.high += pad;
    if (range.high <= 0 || range.low < 0) range.low -= pad;
  }
  const double step = NiceStep(range.high - range.low, 5);
  s.low = std::floor(range.low / step) * step;
  s.high = std::ceil(range.high / step) * step;
  for (double t = s.low; t <= s.high + step / 2; t += step)
    s.ticks.push_back(std::abs(t) < step / 1e6 ? 0 : t);
  return s;
}

std::string Title(const std::string& title) {
  return fmt::format(R"(<text x="{}" y="20" class="chart-title">{}</text>)", kLeft,
                     EscapeXml(title));
}

std::string AxisTitle(const ChartAxis& axis) {
  return fmt::format(
      R"svg(<text transform="translate(16,{}) rotate(-90)" text-anchor="middle" class="axis-title">{}</text>)svg",
      kTop + kPlotHeight / 2, EscapeXml(axis.title));
}

std::string XAxisTitle(const std::string& title) {
  return fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis-title">{}</text>)",
                     kLeft + kPlotWidth / 2, kHeight - 6, EscapeXml(title));
}

std::string Legend(const std::vector<ChartSeries>& series) {
  std::string out;
  double x = kLeft + kPlotWidth;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    x -= 14 + 7.0 * static_cast<double>(it->label.size()) + 10;
    out += fmt::format(
        R"(<rect x="{:.1f}" y="11" width="10" height="10" fill="{}"/><text x="{:.1f}" y="20" class="legend">{}</text>)",
        x, it->color, x + 14, EscapeXml(it->label));
  }
  return out;
}

// Horizontal grid lines and value ticks of a vertical value axis.
std::string ValueGrid(const Scale& scale, AxisUnit unit) {
  std::string out;
  const int decimals = unit == AxisUnit::kPercent && scale.high - scale.low < 0.05 ? 1 : 0;
  for (double t : scale.ticks) {
    const double y = kTop + kPlotHeight * (1 - scale.Fraction(t));
    out += fmt::format(
        R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="grid"/><text x="{}" y="{:.1f}" text-anchor="end" class="tick">{}</text>)",
        kLeft, kLeft + kPlotWidth, y, y, kLeft - 6, y + 4,
        EscapeXml(FormatAxisValue(t, unit, scale.log ? (t < 10 ? 1 : 0) : decimals)));
  }
  return out;
}

std::string Open(const std::string& title) {
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="chart">)",
      kWidth, kHeight, EscapeXml(title));
}

}  // namespace

std::string EscapeXml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatAxisValue(double value, AxisUnit unit, int decimals) {
  if (!std::isfinite(value)) return "–";
  switch (unit) {
    case AxisUnit::kPercent:
      return fmt::format("{:.{}f}%", 100 * value, decimals);
    case AxisUnit::kBasisPoints:
      return fmt::format("{:.{}f} bps", 10'000 * value, decimals);
    case AxisUnit::kNumber:
      break;
  }
  return fmt::format("{:.{}f}", value, std::max(decimals, std::abs(value) < 10 ? 2 : 0));
}

std::string RenderLineChart(const LineChart& chart) {
  const std::size_t n = chart.x_labels.size();
  std::vector<std::vector<double>> drawn;  // cumulative when stacked
  for (const auto& s : chart.series) {
    std::vector<double> v = s.values;
    v.resize(n, std::numeric_limits<double>::quiet_NaN());
    if (chart.stacked && !drawn.empty()) {
      for (std::size_t i = 0; i < n; ++i)
        v[i] = (std::isfinite(v[i]) ? v[i] : 0) +
               (std::isfinite(drawn.back()[i]) ? drawn.back()[i] : 0);
    }
    drawn.push_back(std::move(v));
  }
  Range range;
  for (const auto& v : drawn) {
    for (double x : v) {
      if (!chart.y.log || x > 0) range.Add(x);
    }
  }
  const Scale scale = MakeScale(range, chart.y.log, !chart.y.log);
  const auto x_of = [&](std::size_t i) {
    return kLeft + (n > 1 ? kPlotWidth * static_cast<double>(i) / static_cast<double>(n - 1) : 0);
  };
  const auto y_of = [&](double v) { return kTop + kPlotHeight * (1 - scale.Fraction(v)); };
  std::string out = Open(chart.title) + Title(chart.title) + Legend(chart.series);
  out += ValueGrid(scale, chart.y.unit);
  // About eight date ticks, at evenly spaced rows.
  const std::size_t every = std::max<std::size_t>(1, (n + 7) / 8);
  for (std::size_t i = 0; i < n; i += every) {
    out += fmt::format(
        R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="axis"/><text x="{0:.1f}" y="{3}" text-anchor="middle" class="tick">{4}</text>)",
        x_of(i), kTop + kPlotHeight, kTop + kPlotHeight + 5, kTop + kPlotHeight + 18,
        EscapeXml(chart.x_labels[i]));
  }
  const bool zero_line = !scale.log && scale.low < 0 && scale.high > 0;
  if (zero_line) {
    out += fmt::format(R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="zero"/>)", kLeft,
                       kLeft + kPlotWidth, y_of(0), y_of(0));
  }
  // The first series first: the dashed ones drawn over it stay visible when they coincide.
  for (std::size_t k = 0; k < drawn.size(); ++k) {
    const auto& v = drawn[k];
    std::string path;
    bool pen_down = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(v[i]) || (scale.log && v[i] <= 0)) {
        pen_down = false;
        continue;
      }
      path += fmt::format("{}{:.1f},{:.1f}", pen_down ? " L" : " M", x_of(i), y_of(v[i]));
      pen_down = true;
    }
    if (path.empty()) continue;
    const std::string& color = chart.series[k].color;
    if (chart.stacked) {
      // Down to the series below (or zero) so each band's height is its own value.
      std::string back;
      for (std::size_t i = n; i-- > 0;) {
        const double below = k > 0 && std::isfinite(drawn[k - 1][i]) ? drawn[k - 1][i] : 0;
        back += fmt::format(" L{:.1f},{:.1f}", x_of(i), y_of(below));
      }
      out += fmt::format(R"(<path d="{}{} Z" fill="{}" fill-opacity="0.85" stroke="none"/>)", path,
                         back, color);
    } else {
      const bool first = k == 0;
      out += fmt::format(
          R"(<path d="{}" fill="none" stroke="{}" stroke-width="{}"{} stroke-linejoin="round"/>)",
          path, color, first ? 2.5 : 1.5, first ? "" : R"( stroke-dasharray="6 3")");
    }
  }
  if (chart.marker && *chart.marker < n) {
    const double x = x_of(*chart.marker);
    out += fmt::format(
        R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="marker"/><text x="{3:.1f}" y="{4}" class="marker-label">{5}</text>)",
        x, kTop, kTop + kPlotHeight, x + 4, kTop + 12, EscapeXml(chart.marker_label));
  }
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" class="frame"/>)", kLeft, kTop,
                     kPlotWidth, kPlotHeight);
  out += AxisTitle(chart.y) + XAxisTitle(chart.x_title) + "</svg>";
  return out;
}

std::string RenderBarChart(const BarChart& chart) {
  const std::size_t n = chart.labels.size();
  const std::size_t groups = std::max<std::size_t>(1, chart.series.size());
  Range range;
  for (const auto& s : chart.series) {
    for (double v : s.values) range.Add(v);
  }
  const Scale scale = MakeScale(range, false, true);
  std::string out = Open(chart.title) + Title(chart.title) + Legend(chart.series);
  if (!chart.horizontal) {
    out += ValueGrid(scale, chart.value.unit);
    const double slot = kPlotWidth / static_cast<double>(std::max<std::size_t>(n, 1));
    const double bar = slot * 0.8 / static_cast<double>(groups);
    const auto y_of = [&](double v) { return kTop + kPlotHeight * (1 - scale.Fraction(v)); };
    const std::size_t every = std::max<std::size_t>(1, (n + 11) / 12);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < chart.series.size(); ++k) {
        const double v = i < chart.series[k].values.size() ? chart.series[k].values[i] : NAN;
        if (!std::isfinite(v)) continue;
        const double top = std::min(y_of(v), y_of(0)), height = std::abs(y_of(v) - y_of(0));
        out += fmt::format(
            R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)",
            kLeft + slot * static_cast<double>(i) + slot * 0.1 + bar * static_cast<double>(k), top,
            bar, std::max(height, 0.5), chart.series[k].color, EscapeXml(chart.labels[i]),
            EscapeXml(FormatAxisValue(v, chart.value.unit, 2)));
      }
      if (i % every == 0) {
        out += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle" class="tick">{}</text>)",
                           kLeft + slot * (static_cast<double>(i) + 0.5), kTop + kPlotHeight + 18,
                           EscapeXml(chart.labels[i]));
      }
    }
    out += AxisTitle(chart.value) + XAxisTitle(chart.label_title);
  } else {
    // Labels down the left, values along the bottom.
    const double label_width = 190;
    const double plot_left = label_width, plot_width = kWidth - label_width - kRight;
    const double slot = kPlotHeight / static_cast<double>(std::max<std::size_t>(n, 1));
    const auto x_of = [&](double v) { return plot_left + plot_width * scale.Fraction(v); };
    for (double t : scale.ticks) {
      out += fmt::format(
          R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="grid"/><text x="{0:.1f}" y="{3}" text-anchor="middle" class="tick">{4}</text>)",
          x_of(t), kTop, kTop + kPlotHeight, kTop + kPlotHeight + 16,
          EscapeXml(FormatAxisValue(t, chart.value.unit, 1)));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double v = chart.series.empty() || i >= chart.series[0].values.size()
                           ? NAN
                           : chart.series[0].values[i];
      const double y = kTop + slot * static_cast<double>(i);
      std::string label = chart.labels[i];
      if (label.size() > 28) label = label.substr(0, 27) + "…";
      out += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end" class="tick">{}</text>)",
                         plot_left - 6, y + slot * 0.5 + 4, EscapeXml(label));
      if (!std::isfinite(v)) continue;
      out += fmt::format(
          R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)",
          std::min(x_of(v), x_of(0)), y + slot * 0.15, std::max(std::abs(x_of(v) - x_of(0)), 0.5),
          slot * 0.7, v < 0 ? "#b42318" : chart.series[0].color, EscapeXml(chart.labels[i]),
          EscapeXml(FormatAxisValue(v, chart.value.unit, 2)));
    }
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis-title">{}</text>)",
                       plot_left + plot_width / 2, kHeight - 6, EscapeXml(chart.value.title));
  }
  return out + "</svg>";
}

}  // namespace trend
