#include "report/summary_table.hpp"

#include <fmt/format.h>

#include <cmath>

namespace trend {
namespace {

std::optional<double> Value(double x) {
  return std::isnan(x) ? std::nullopt : std::optional<double>(x);
}

void AppendStats(std::vector<std::optional<double>>& row, const Stats& s) {
  for (double x : {s.cagr, s.vol, s.sharpe, s.sortino, s.information_ratio})
    row.push_back(Value(x));
}

}  // namespace

SummaryTable BuildSummaryTable(const AnalysisResult& r) {
  SummaryTable t;
  t.columns.push_back({"Weight", CellKind::kPercent});
  for (const char* side : {"IS", "OS"}) {
    t.columns.push_back({fmt::format("{} CAGR", side), CellKind::kPercent});
    t.columns.push_back({fmt::format("{} Vol", side), CellKind::kPercent});
    t.columns.push_back({fmt::format("{} Sharpe", side), CellKind::kRatio});
    t.columns.push_back({fmt::format("{} Sortino", side), CellKind::kRatio});
    t.columns.push_back({fmt::format("{} IR", side), CellKind::kRatio});
    if (side[0] == 'O') {
      for (const auto& b : r.benchmarks)
        t.columns.push_back({"OS IR " + b.label, CellKind::kRatio});
    }
    t.columns.push_back({fmt::format("{} MaxDD", side), CellKind::kPercent});
  }

  auto make_row = [&](const std::string& name, std::optional<double> weight, const Stats& in,
                      const Stats& out, auto benchmark_ir) {
    SummaryRow row;
    row.name = name;
    row.values.push_back(weight);
    AppendStats(row.values, in);
    row.values.push_back(Value(in.max_drawdown));
    AppendStats(row.values, out);
    for (const auto& b : r.benchmarks) row.values.push_back(Value(benchmark_ir(b)));
    row.values.push_back(Value(out.max_drawdown));
    return row;
  };
  t.rows.push_back(make_row("Equal Weight", std::nullopt, r.in_ew_stats, r.out_ew_stats,
                            [](const BenchmarkResult& b) { return b.equal_weight_ir; }));
  t.rows.push_back(make_row("User Weight", std::nullopt, r.in_user_stats, r.out_user_stats,
                            [](const BenchmarkResult& b) { return b.user_weight_ir; }));
  SummaryRow separator;
  separator.values.assign(t.columns.size(), std::nullopt);
  t.rows.push_back(separator);
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    t.rows.push_back(make_row(r.selected_funds[i], r.fund_weights[i], r.in_sample_stats[i],
                              r.out_sample_stats[i],
                              [i](const BenchmarkResult& b) { return b.fund_ir[i]; }));
  }
  return t;
}

std::string InSampleLine(const AnalysisResult& r) {
  return fmt::format("In:  {} → {}", FormatMonth(r.in_start_month), FormatMonth(r.in_end_month));
}

std::string OutSampleLine(const AnalysisResult& r) {
  return fmt::format("Out: {} → {}", FormatMonth(r.out_start_month), FormatMonth(r.out_end_month));
}

std::string MetadataLine(const AnalysisResult& r, const AnalysisSettings& s) {
  std::string cadence = fmt::format("Cadence: {}", FrequencyLabel(r.input_frequency));
  cadence += r.resampled ? " → monthly" : " (month-end)";
  std::string selected;
  for (std::size_t i = 0; i < r.selected_funds.size() && i < 5; ++i) {
    selected += (i ? ", " : "") + r.selected_funds[i];
  }
  if (r.selected_funds.size() > 5) selected += ", …";
  return fmt::format(
      "{} | Universe: {} assets; selected {} ({}) | Risk-free: {} ({}) | Costs: "
      "target_vol={:.2f}%, "
      "monthly_cost={:.2f}% | Vol targeting: {}",
      cadence, r.universe.size(), r.selected_funds.size(), selected, r.risk_free_column,
      r.risk_free_source, s.vol_adjust.target_vol * 100, s.monthly_cost * 100,
      s.vol_adjust.enabled ? "on" : "off");
}

}  // namespace trend
