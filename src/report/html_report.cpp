#include "report/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "data/date.hpp"
#include "metrics/metrics.hpp"
#include "report/summary_table.hpp"
#include "report/svg_chart.hpp"

namespace trend {
namespace {

constexpr const char* kPortfolioColor = "#1f6feb";
constexpr const char* kEqualWeightColor = "#6b7280";
constexpr const char* kLossColor = "#b42318";
constexpr const char* kPalette[] = {"#1f6feb", "#12b76a", "#f79009", "#7a5af8", "#ee46bc",
                                    "#06aed4", "#b42318", "#66c61c", "#9e77ed", "#98a2b3"};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#101828;max-width:980px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #eaecf0;padding-bottom:4px}
.muted{color:#667085}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #eaecf0;border-radius:8px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#667085;font-size:12px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:12.5px}
th,td{border-bottom:1px solid #eaecf0;padding:3px 6px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
pre{background:#f9fafb;border:1px solid #eaecf0;padding:8px;overflow:auto;font-size:12px}
.warning{background:#fffaeb;border:1px solid #fec84b;border-radius:6px;padding:6px 10px;margin:4px 0}
svg.chart{width:100%;height:auto;margin:6px 0}.chart-title{font-weight:600;font-size:13px}
.tick{font-size:10.5px;fill:#475467}.axis-title{font-size:11.5px;fill:#344054}.legend{font-size:11px}
.grid{stroke:#eaecf0}.axis{stroke:#98a2b3}.zero{stroke:#667085}.frame{fill:none;stroke:#d0d5dd}
.marker{stroke:#344054;stroke-dasharray:4 3}.marker-label{font-size:10.5px;fill:#344054}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}svg,table{break-inside:avoid}}
)";

ChartAxis Axis(std::string title, AxisUnit unit = AxisUnit::kNumber, bool log = false) {
  ChartAxis axis;
  axis.title = std::move(title);
  axis.unit = unit;
  axis.log = log;
  return axis;
}

LineChart MakeLine(std::string title, std::vector<std::string> x_labels, std::string x_title,
                   ChartAxis y, std::vector<ChartSeries> series) {
  LineChart chart;
  chart.title = std::move(title);
  chart.x_labels = std::move(x_labels);
  chart.x_title = std::move(x_title);
  chart.y = std::move(y);
  chart.series = std::move(series);
  return chart;
}

BarChart MakeBar(std::string title, std::vector<std::string> labels, std::string label_title,
                 ChartAxis value, std::vector<ChartSeries> series, bool horizontal = false) {
  BarChart chart;
  chart.title = std::move(title);
  chart.labels = std::move(labels);
  chart.label_title = std::move(label_title);
  chart.value = std::move(value);
  chart.series = std::move(series);
  chart.horizontal = horizontal;
  return chart;
}

std::string Percent(double v, int decimals = 2) {
  return FormatAxisValue(v, AxisUnit::kPercent, decimals);
}
std::string Ratio(double v) {
  return std::isfinite(v) ? fmt::format("{:.2f}", v) : std::string("–");
}
// Drawdowns are losses: one sign everywhere, negative (the charts go below zero too).
std::string Drawdown(double max_drawdown) {
  return Percent(max_drawdown == 0 ? 0.0 : -std::abs(max_drawdown));
}
std::string Month(Date d) {
  return FormatDate(d).substr(0, 7);
}

std::string Head(const ReportContext& c) {
  std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out +=
      fmt::format("<title>{}</title><style>{}</style></head><body>\n", EscapeXml(c.title), kStyle);
  out += fmt::format("<h1>{}</h1>\n<p class=\"muted\">", EscapeXml(c.title));
  std::vector<std::string> facts;
  if (!c.dataset.empty()) facts.push_back("Returns: " + EscapeXml(c.dataset));
  if (!c.config_name.empty()) facts.push_back("Config: " + EscapeXml(c.config_name));
  if (!c.generated.empty()) facts.push_back("Generated " + EscapeXml(c.generated));
  facts.push_back("Trend Engine");
  for (std::size_t i = 0; i < facts.size(); ++i) out += (i ? " · " : "") + facts[i];
  return out + "</p>\n";
}

std::string Card(const std::string& label, const std::string& value, const std::string& note) {
  return fmt::format("<div class=\"card\"><span>{}</span><b>{}</b><span>{}</span></div>",
                     EscapeXml(label), EscapeXml(value), EscapeXml(note));
}

std::string Cards(const Stats& user, const Stats& ew, const std::string& when) {
  std::string out = "<div class=\"cards\" id=\"headline\">";
  out += Card("CAGR " + when, Percent(user.cagr), "equal weight " + Percent(ew.cagr));
  out += Card("Volatility " + when, Percent(user.vol), "equal weight " + Percent(ew.vol));
  out += Card("Sharpe " + when, Ratio(user.sharpe), "equal weight " + Ratio(ew.sharpe));
  out += Card("Max drawdown " + when, Drawdown(user.max_drawdown),
              "equal weight " + Drawdown(ew.max_drawdown));
  return out + "</div>\n";
}

std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, const std::string& id = "") {
  std::string out = id.empty() ? "<table><thead><tr>" : "<table id=\"" + id + "\"><thead><tr>";
  for (const auto& h : header) out += "<th>" + EscapeXml(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + EscapeXml(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string StatsTable(const std::vector<std::pair<std::string, const Stats*>>& columns) {
  std::vector<std::string> header = {"Statistic"};
  for (const auto& [name, stats] : columns) header.push_back(name);
  std::vector<std::vector<std::string>> rows;
  const auto row = [&](const char* label, auto format) {
    std::vector<std::string> cells = {label};
    for (const auto& column : columns) cells.push_back(format(*column.second));
    rows.push_back(std::move(cells));
  };
  row("CAGR", [](const Stats& s) { return Percent(s.cagr); });
  row("Volatility", [](const Stats& s) { return Percent(s.vol); });
  row("Sharpe", [](const Stats& s) { return Ratio(s.sharpe); });
  row("Sortino", [](const Stats& s) { return Ratio(s.sortino); });
  row("Information ratio", [](const Stats& s) { return Ratio(s.information_ratio); });
  row("Max drawdown", [](const Stats& s) { return Drawdown(s.max_drawdown); });
  return Table(header, rows, "statistics");
}

// Growth of 1 through a return series, and its drawdown (negative fractions).
std::vector<double> Growth(const std::vector<double>& returns) {
  std::vector<double> out;
  double level = 1;
  for (double r : returns) {
    if (std::isfinite(r)) level *= 1 + r;
    out.push_back(level);
  }
  return out;
}

std::vector<double> DrawdownPath(const std::vector<double>& growth) {
  std::vector<double> out;
  double peak = -std::numeric_limits<double>::infinity();
  for (double g : growth) {
    peak = std::max(peak, g);
    out.push_back(peak > 0 ? g / peak - 1 : 0);
  }
  return out;
}

std::vector<double> Excess(const std::vector<double>& r, const std::vector<double>& rf) {
  std::vector<double> out(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) out[i] = r[i] - (i < rf.size() ? rf[i] : 0.0);
  return out;
}

std::vector<double> Rolling12Sharpe(const std::vector<double>& excess) {
  const Eigen::Map<const Eigen::VectorXd> view(excess.data(),
                                               static_cast<Eigen::Index>(excess.size()));
  return RollingSharpe(view, 12);
}

std::vector<double> Values(const Eigen::VectorXd& v) {
  return {v.data(), v.data() + v.size()};
}
template <typename T>
std::vector<T> Concat(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct PerformanceCharts {
  std::vector<std::string> months;
  std::vector<double> user, ew, rf;
  std::optional<std::size_t> split;
  std::string split_label;
};

std::string PerformanceSection(const PerformanceCharts& p) {
  const std::vector<double> user_growth = Growth(p.user), ew_growth = Growth(p.ew);
  std::string out = "<h2>Performance</h2>\n";
  LineChart growth = MakeLine("Growth of 1 (log scale)", p.months, "Month",
                              Axis("Value of 1 invested", AxisUnit::kNumber, true),
                              {{"Portfolio", user_growth, kPortfolioColor},
                               {"Equal weight", ew_growth, kEqualWeightColor}});
  growth.marker = p.split;
  growth.marker_label = p.split_label;
  out += RenderLineChart(growth);
  LineChart drawdown = MakeLine("Drawdown", p.months, "Month",
                                Axis("Loss from the running peak", AxisUnit::kPercent),
                                {{"Portfolio", DrawdownPath(user_growth), kLossColor},
                                 {"Equal weight", DrawdownPath(ew_growth), kEqualWeightColor}});
  drawdown.marker = p.split;
  drawdown.marker_label = p.split_label;
  out += RenderLineChart(drawdown);
  LineChart sharpe =
      MakeLine("Rolling 12-month Sharpe ratio", p.months, "Month",
               Axis("Sharpe (annualised, excess of risk-free)"),
               {{"Portfolio", Rolling12Sharpe(Excess(p.user, p.rf)), kPortfolioColor},
                {"Equal weight", Rolling12Sharpe(Excess(p.ew, p.rf)), kEqualWeightColor}});
  sharpe.marker = p.split;
  sharpe.marker_label = p.split_label;
  return out + RenderLineChart(sharpe);
}

std::string Parameters(const ReportContext& c) {
  if (c.config_text.empty()) return "";
  return "<h2>Parameters</h2>\n<pre id=\"config\">" + EscapeXml(c.config_text) + "</pre>\n";
}

// The differences from the reference (docs/differences.md) that this config and data touch.
std::vector<std::string> DifferenceNotes(const AnalysisSettings& s, Frequency input, bool multi) {
  std::vector<std::string> notes;
  if (!s.vol_adjust.enabled)
    notes.push_back(
        "D1: vol_adjust.enabled is false, so no scaling applies (the reference scales anyway).");
  if (!s.benchmarks.empty())
    notes.push_back(
        "D2: benchmark columns are never selected as funds (the reference may select them).");
  if (input == Frequency::kDaily || input == Frequency::kWeekly)
    notes.push_back(
        "D4: every daily or weekly row is compounded into its calendar month (the reference drops "
        "weekend and holiday rows, or refuses the file).");
  if (multi) {
    notes.push_back(
        "D5: weighting and constraints apply in every period; exited funds leave; transaction "
        "costs are deducted in each period's first out-of-sample month.");
  }
  notes.push_back(
      "D6: the whole config is read; keys the reference's command line would drop still apply "
      "here.");
  return notes;
}

std::string Caveats(const std::vector<std::string>& warnings,
                    const std::vector<std::string>& notes) {
  std::string out = "<h2>Caveats</h2>\n";
  if (warnings.empty()) out += "<p class=\"muted\">The run raised no warnings.</p>\n";
  for (const auto& w : warnings) out += "<div class=\"warning\">" + EscapeXml(w) + "</div>\n";
  out += "<p>Where these numbers differ from the Python Trend Model Project by design:</p><ul>\n";
  for (const auto& n : notes) out += "<li>" + EscapeXml(n) + "</li>\n";
  return out + "</ul>\n";
}

std::vector<std::string> MergeWarnings(const ReportContext& c,
                                       const std::vector<std::string>& more) {
  std::vector<std::string> out = c.warnings;
  for (const auto& w : more) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

std::string SummaryTableHtml(const AnalysisResult& r) {
  const SummaryTable t = BuildSummaryTable(r);
  std::vector<std::string> header = {"Name"};
  for (const auto& c : t.columns) header.push_back(c.header);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : t.rows) {
    if (row.name.empty()) continue;
    std::vector<std::string> cells = {row.name};
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      const auto& v = row.values[j];
      if (!v) {
        cells.emplace_back("");
      } else if (t.columns[j].header.ends_with("MaxDD")) {
        cells.push_back(Drawdown(*v));
      } else {
        cells.push_back(t.columns[j].kind == CellKind::kPercent ? Percent(*v) : Ratio(*v));
      }
    }
    rows.push_back(std::move(cells));
  }
  return Table(header, rows, "funds");
}

}  // namespace

std::string HtmlReport(const AnalysisResult& r, const AnalysisSettings& settings,
                       const ReportContext& context) {
  std::string out = Head(context);
  out += fmt::format("<p>{}<br>{}<br>{}</p>\n", EscapeXml(InSampleLine(r)),
                     EscapeXml(OutSampleLine(r)), EscapeXml(MetadataLine(r, settings)));
  out += Cards(r.out_user_stats, r.out_ew_stats, "out of sample");
  out += "<h2>Statistics</h2>\n";
  out += StatsTable({{"In-sample portfolio", &r.in_user_stats},
                     {"In-sample equal weight", &r.in_ew_stats},
                     {"Out-of-sample portfolio", &r.out_user_stats},
                     {"Out-of-sample equal weight", &r.out_ew_stats}});
  PerformanceCharts p;
  for (Date d : r.in_dates) p.months.push_back(Month(d));
  for (Date d : r.out_dates) p.months.push_back(Month(d));
  p.user = Concat(Values(r.in_user), Values(r.out_user));
  p.ew = Concat(Values(r.in_ew), Values(r.out_ew));
  p.rf = Concat(Values(r.in_rf), Values(r.out_rf));
  if (!r.out_dates.empty()) {
    p.split = r.in_dates.size();
    p.split_label = "out of sample →";
  }
  out += PerformanceSection(p);
  out += "<h2>Portfolio</h2>\n";
  BarChart weights = MakeBar("Weights: portfolio against equal weight", r.selected_funds, "Fund",
                             Axis("Weight", AxisUnit::kPercent),
                             {{"Portfolio", r.fund_weights, kPortfolioColor},
                              {"Equal weight", r.ew_weights, kEqualWeightColor}});
  out += RenderBarChart(weights);
  out += SummaryTableHtml(r);
  out += Parameters(context);
  out += Caveats(MergeWarnings(context, r.warnings),
                 DifferenceNotes(settings, r.input_frequency, false));
  return out + "</body></html>\n";
}

std::string HtmlReport(const MultiPeriodResult& r, const AnalysisSettings& settings,
                       const ReportContext& context) {
  std::string out = Head(context);
  out += fmt::format("<p>Multi-period backtest: {} periods ({} policy){}.</p>\n", r.periods.size(),
                     EscapeXml(r.policy),
                     r.skipped.empty() ? "" : fmt::format(", {} skipped", r.skipped.size()));
  const MultiPeriodSummary& s = r.summary;
  out += Cards(s.out_user, s.out_ew, "out of sample, chained");
  out += "<h2>Statistics</h2>\n";
  out += StatsTable({{"Portfolio", &s.out_user}, {"Equal weight", &s.out_ew}});

  PerformanceCharts p;
  std::vector<double> rf;
  for (const auto& period : r.periods) rf = Concat(rf, Values(period.analysis.out_rf));
  for (const auto& e : r.equity_curve) {
    p.months.push_back(Month(e.date));
    p.user.push_back(e.user_return);
  }
  // The equal-weight returns, back from its equity curve.
  double previous = 1;
  for (const auto& e : r.equity_curve) {
    p.ew.push_back(previous > 0 ? e.ew_equity / previous - 1 : kNaN);
    previous = e.ew_equity;
  }
  p.rf = rf.size() == p.user.size() ? rf : std::vector<double>(p.user.size(), 0.0);
  out += PerformanceSection(p);

  // Per period.
  out += "<h2>Periods</h2>\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> labels;
  std::vector<double> turnover, cost;
  for (const auto& period : r.periods) {
    const AnalysisResult& a = period.analysis;
    const std::string out_range =
        FormatMonth(period.period.out_start) + " → " + FormatMonth(period.period.out_end);
    labels.push_back(FormatMonth(period.period.out_start));
    turnover.push_back(period.turnover);
    cost.push_back(period.transaction_cost);
    rows.push_back({FormatMonth(period.period.in_start) + " → " + FormatMonth(period.period.in_end),
                    out_range, std::to_string(a.selected_funds.size()), Percent(period.turnover),
                    FormatAxisValue(period.transaction_cost, AxisUnit::kBasisPoints, 1),
                    Percent(a.out_user_stats.cagr), Ratio(a.out_user_stats.sharpe),
                    Drawdown(a.out_user_stats.max_drawdown)});
  }
  out += Table({"In sample", "Out of sample", "Funds", "Turnover", "Cost", "OOS CAGR", "OOS Sharpe",
                "OOS max drawdown"},
               rows, "periods");
  out += RenderBarChart(MakeBar("Turnover per period", labels, "Out-of-sample start",
                                Axis("Turnover (sum of |weight change|)", AxisUnit::kPercent),
                                {{"Turnover", turnover, kPortfolioColor}}));
  out += RenderBarChart(MakeBar("Transaction cost per period", labels, "Out-of-sample start",
                                Axis("Cost", AxisUnit::kBasisPoints), {{"Cost", cost, "#f79009"}}));

  // Weights over time: the funds with the largest average weight, the rest as one band.
  std::map<std::string, std::vector<double>> by_fund;
  for (std::size_t k = 0; k < r.periods.size(); ++k) {
    const AnalysisResult& a = r.periods[k].analysis;
    for (std::size_t j = 0; j < a.selected_funds.size(); ++j) {
      auto& w = by_fund[a.selected_funds[j]];
      w.resize(r.periods.size(), 0.0);
      w[k] = a.fund_weights[j];
    }
  }
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [fund, w] : by_fund)
    ranked.emplace_back(std::accumulate(w.begin(), w.end(), 0.0), fund);
  std::sort(ranked.begin(), ranked.end(), std::greater<>());
  constexpr std::size_t kBands = 9;
  std::vector<ChartSeries> bands;
  std::vector<double> other(r.periods.size(), 0.0);
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const auto& w = by_fund[ranked[i].second];
    if (i < kBands) {
      bands.push_back({ranked[i].second, w, kPalette[i % std::size(kPalette)]});
    } else {
      for (std::size_t k = 0; k < w.size(); ++k) other[k] += w[k];
    }
  }
  if (ranked.size() > kBands)
    bands.push_back({fmt::format("{} others", ranked.size() - kBands), other, "#d0d5dd"});
  LineChart stacked = MakeLine("Weights over time (stacked)", labels, "Out-of-sample start",
                               Axis("Weight", AxisUnit::kPercent), bands);
  stacked.stacked = true;
  out += "<h2>Holdings</h2>\n" + RenderLineChart(stacked);

  // Hires and exits.
  std::vector<std::vector<std::string>> changes;
  for (const auto& period : r.periods) {
    for (const auto& c : period.manager_changes) {
      changes.push_back(
          {FormatMonth(period.period.out_start), c.action, c.manager, c.reason, c.detail});
    }
  }
  out += "<h3>Manager changes</h3>\n";
  out += changes.empty()
             ? std::string("<p class=\"muted\">No hires or exits.</p>\n")
             : Table({"Period", "Action", "Manager", "Reason", "Detail"}, changes, "changes");

  // Top and bottom contributors: readable with hundreds of managers.
  std::vector<ManagerContribution> sorted = r.contributions;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.contribution > b.contribution; });
  constexpr std::size_t kShown = 10;
  std::vector<ManagerContribution> shown;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i < kShown || i + kShown >= sorted.size()) shown.push_back(sorted[i]);
  }
  std::vector<std::string> names;
  std::vector<double> values;
  std::vector<std::vector<std::string>> contribution_rows;
  for (const auto& c : shown) {
    names.push_back(c.manager);
    values.push_back(c.contribution);
    contribution_rows.push_back({c.manager, std::to_string(c.months), Percent(c.oos_cagr),
                                 Percent(c.contribution), Percent(c.share)});
  }
  out += "<h2>Contributors</h2>\n";
  if (sorted.size() > shown.size()) {
    out += fmt::format("<p class=\"muted\">The top and bottom {} of {} managers.</p>\n", kShown,
                       sorted.size());
  }
  out += RenderBarChart(MakeBar("Contribution to return by manager", names, "Manager",
                                Axis("Contribution (sum of weight × return)", AxisUnit::kPercent),
                                {{"Contribution", values, "#12b76a"}}, true));
  out += Table({"Manager", "Months held", "OOS CAGR", "Contribution", "Share"}, contribution_rows,
               "contributors");
  if (!r.skipped.empty()) {
    std::vector<std::vector<std::string>> skipped;
    for (const auto& sk : r.skipped)
      skipped.push_back({FormatMonth(sk.period.out_start), sk.reason});
    out += "<h3>Skipped periods</h3>\n" + Table({"Period", "Reason"}, skipped);
  }
  out += Parameters(context);
  const Frequency input =
      r.periods.empty() ? Frequency::kMonthly : r.periods.front().analysis.input_frequency;
  out += Caveats(MergeWarnings(context, r.warnings), DifferenceNotes(settings, input, true));
  return out + "</body></html>\n";
}

}  // namespace trend
