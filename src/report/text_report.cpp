#include "report/text_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/summary_table.hpp"
#include "report/text_table.hpp"

namespace trend {
namespace {

std::string Cell(const std::optional<double>& v, CellKind kind) {
  if (!v) return "";
  return kind == CellKind::kPercent ? fmt::format("{:.2f}", *v * 100.0) : fmt::format("{:.2f}", *v);
}

std::string RenderTable(const SummaryTable& t) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header = {"Name"};
  for (const auto& c : t.columns) header.push_back(c.header);
  cells.push_back(header);
  for (const auto& row : t.rows) {
    std::vector<std::string> line = {row.name};
    for (std::size_t j = 0; j < t.columns.size(); ++j)
      line.push_back(Cell(row.values[j], t.columns[j].kind));
    cells.push_back(std::move(line));
  }
  return RenderTextTable(cells);
}

std::string RegimeBlock(const AnalysisResult& r) {
  if (!r.regime) return "";
  std::string out = "\nPerformance by regime (CAGR / Sharpe / MaxDD / Hit / Obs):\n";
  for (const auto& cell : r.regime->cells) {
    if (!cell.cagr) {
      out += fmt::format("  {}: insufficient data ({} obs)\n", cell.column, cell.observations);
      continue;
    }
    out +=
        fmt::format("  {}: {:.1f}% CAGR, Sharpe {:.2f}, MaxDD {:.1f}%, Hit {:.1f}%, Obs {:.0f}\n",
                    cell.column, *cell.cagr * 100, cell.sharpe.value_or(NAN),
                    *cell.max_drawdown * 100, *cell.hit_rate * 100, cell.observations);
  }
  return out;
}

}  // namespace

std::string FormatTextSummary(const AnalysisResult& r, const AnalysisSettings& s) {
  std::string out = "Vol-Adj Trend Analysis\n";
  out += InSampleLine(r) + "\n" + OutSampleLine(r) + "\n" + MetadataLine(r, s) + "\n\n";
  out += "Realised volatility (latest):\n";
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    out += fmt::format("  {}: {:.2f}%\n", r.selected_funds[i], r.asset_volatility_last[i] * 100);
  }
  out += fmt::format("Portfolio volatility (latest): {:.2f}%\n", r.portfolio_volatility_last * 100);
  if (!std::isnan(r.turnover_value))
    out += fmt::format("Turnover applied: {:.2f}%\n", r.turnover_value * 100);
  if (r.weight_engine_fallback) {
    out += fmt::format("Weighting scheme '{}' unavailable; equal base weights used\n",
                       r.weight_engine_fallback->engine);
  }
  out += "\n" + RenderTable(BuildSummaryTable(r));
  if (!r.benchmarks.empty()) {
    out += "\nBenchmarks (out of sample, raw):\n";
    for (const auto& b : r.benchmarks) {
      out += fmt::format(
          "  {} ({}): CAGR {:.2f}%, Vol {:.2f}%, Sharpe {:.2f}; IR of User {:.2f}, Equal {:.2f}\n",
          b.label, b.column, b.out_sample.cagr * 100, b.out_sample.vol * 100, b.out_sample.sharpe,
          b.user_weight_ir, b.equal_weight_ir);
    }
  }
  out += RegimeBlock(r);
  return out;
}

std::string FormatTerminalSummary(const AnalysisResult& r, const AnalysisSettings& s) {
  std::string out = "Selected funds and weights:\n";
  std::size_t name_width = 4;
  for (const auto& f : r.selected_funds) name_width = std::max(name_width, f.size());
  const double max_weight = *std::max_element(r.fund_weights.begin(), r.fund_weights.end());
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    const double w = r.fund_weights[i];
    const int bar = max_weight > 0 ? static_cast<int>(std::lround(30.0 * w / max_weight)) : 0;
    out += fmt::format("  {:<{}}  {:6.2f}%  {}\n", r.selected_funds[i], name_width, w * 100,
                       std::string(static_cast<std::size_t>(std::max(bar, 0)), '#'));
  }
  return out + "\n" + FormatTextSummary(r, s);
}

}  // namespace trend
