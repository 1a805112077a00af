#include "report/multi_period_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "report/export_files.hpp"
#include "report/multi_period_json.hpp"
#include "report/text_table.hpp"
#include "report/xlsx_workbook.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

std::string Pct(double v) {
  return std::isnan(v) ? "-" : fmt::format("{:.2f}%", v * 100.0);
}
std::string Ratio(double v) {
  return std::isnan(v) ? "-" : fmt::format("{:.2f}", v);
}
std::string Window(int first, int last) {
  return fmt::format("{}..{}", FormatMonth(first), FormatMonth(last));
}

std::vector<std::vector<std::string>> PeriodRows(const MultiPeriodResult& r) {
  std::vector<std::vector<std::string>> rows = {{"Out-of-sample", "Funds", "User CAGR", "Vol",
                                                 "Sharpe", "MaxDD", "EW CAGR", "Turnover", "Cost"}};
  for (const auto& p : r.periods) {
    const AnalysisResult& a = p.analysis;
    rows.push_back({Window(p.period.out_start, p.period.out_end),
                    std::to_string(a.selected_funds.size()), Pct(a.out_user_stats.cagr),
                    Pct(a.out_user_stats.vol), Ratio(a.out_user_stats.sharpe),
                    Pct(a.out_user_stats.max_drawdown), Pct(a.out_ew_stats.cagr), Pct(p.turnover),
                    Pct(p.transaction_cost)});
  }
  return rows;
}

std::vector<std::vector<std::string>> SummaryRows(const MultiPeriodSummary& s) {
  std::vector<std::vector<std::string>> rows = {
      {"Portfolio", "CAGR", "Vol", "Sharpe", "Sortino", "MaxDD", "IR"}};
  const auto row = [&](const char* name, const Stats& st) {
    rows.push_back({name, Pct(st.cagr), Pct(st.vol), Ratio(st.sharpe), Ratio(st.sortino),
                    Pct(st.max_drawdown), Ratio(st.information_ratio)});
  };
  row("User, out of sample", s.out_user);
  row("Equal weight, out of sample", s.out_ew);
  row("User, in sample", s.in_user);
  row("Equal weight, in sample", s.in_ew);
  return rows;
}

std::vector<std::vector<std::string>> ContributionRows(const MultiPeriodResult& r,
                                                       std::size_t limit) {
  std::vector<std::vector<std::string>> rows = {
      {"Manager", "Years", "OOS CAGR", "Contribution", "Share"}};
  for (std::size_t i = 0; i < r.contributions.size() && i < limit; ++i) {
    const auto& c = r.contributions[i];
    rows.push_back({c.manager, fmt::format("{:.2f}", c.years), Pct(c.oos_cagr), Pct(c.contribution),
                    Pct(c.share)});
  }
  return rows;
}

std::string TableCsv(const std::vector<std::vector<std::string>>& header_only,
                     const std::vector<std::vector<std::optional<double>>>& values,
                     const std::vector<std::string>& labels) {
  std::string out;
  for (std::size_t j = 0; j < header_only[0].size(); ++j) {
    out += (j ? "," : "") + CsvField(header_only[0][j]);
  }
  out += "\n";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += CsvField(labels[i]);
    for (const auto& v : values[i]) out += "," + CsvNumber(v);
    out += "\n";
  }
  return out;
}

std::string PeriodsCsv(const MultiPeriodResult& r) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<std::string> labels;
  for (const auto& p : r.periods) {
    const AnalysisResult& a = p.analysis;
    labels.push_back(FormatDate(MonthEndFromIndex(p.period.out_end)));
    values.push_back({static_cast<double>(a.selected_funds.size()), a.out_user_stats.cagr,
                      a.out_user_stats.vol, a.out_user_stats.sharpe, a.out_user_stats.sortino,
                      a.out_user_stats.max_drawdown, a.out_ew_stats.cagr, a.out_ew_stats.sharpe,
                      p.turnover, p.transaction_cost});
  }
  return TableCsv({{"Period", "Funds", "User CAGR", "User Vol", "User Sharpe", "User Sortino",
                    "User MaxDD", "EW CAGR", "EW Sharpe", "Turnover", "Transaction Cost"}},
                  values, labels);
}

std::string SummaryCsv(const MultiPeriodSummary& s) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<std::string> labels;
  const auto add = [&](const std::string& name, const Stats& st, std::optional<double> weight) {
    labels.push_back(name);
    values.push_back(
        {st.cagr, st.vol, st.sharpe, st.sortino, st.max_drawdown, st.information_ratio, weight});
  };
  add("User (out of sample)", s.out_user, std::nullopt);
  add("Equal weight (out of sample)", s.out_ew, std::nullopt);
  add("User (in sample)", s.in_user, std::nullopt);
  add("Equal weight (in sample)", s.in_ew, std::nullopt);
  for (const auto& f : s.funds) add(f.name + " (out of sample)", f.out_sample, f.average_weight);
  return TableCsv({{"Name", "CAGR", "Vol", "Sharpe", "Sortino", "MaxDD", "IR", "Average Weight"}},
                  values, labels);
}

std::string ContributionsCsv(const MultiPeriodResult& r) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<std::string> labels;
  for (const auto& c : r.contributions) {
    labels.push_back(c.manager);
    values.push_back({static_cast<double>(c.months), c.years, c.oos_cagr, c.contribution, c.share});
  }
  return TableCsv(
      {{"Manager", "Months", "Years", "OOS CAGR", "Contribution", "Contribution Share"}}, values,
      labels);
}

// The reference's execution_metrics_frame: Period, Turnover, Transaction Cost.
std::string ExecutionCsv(const MultiPeriodResult& r) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<std::string> labels;
  for (const auto& p : r.periods) {
    labels.push_back(FormatDate(MonthEndFromIndex(p.period.out_end)));
    values.push_back({p.turnover, p.transaction_cost});
  }
  return TableCsv({{"Period", "Turnover", "Transaction Cost"}}, values, labels);
}

std::string EquityCsv(const MultiPeriodResult& r) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<std::string> labels;
  for (const auto& e : r.equity_curve) {
    labels.push_back(FormatDate(e.date));
    values.push_back({e.user_return, e.equity, e.ew_equity});
  }
  return TableCsv({{"Date", "User Return", "User Equity", "Equal Weight Equity"}}, values, labels);
}

void WriteSheet(
    XlsxWorkbook& book, const std::string& name, const std::vector<std::string>& header,
    const std::vector<std::pair<std::string, std::vector<std::pair<double, bool>>>>& rows) {
  using Style = XlsxWorkbook::Style;
  XlsxWorkbook::Sheet sheet = book.AddSheet(name.substr(0, 31));
  for (std::size_t j = 0; j < header.size(); ++j) {
    sheet.WriteString(0, static_cast<std::uint16_t>(j), header[j], Style::kBold);
  }
  sheet.SetColumnWidth(0, 0, 28);
  sheet.SetColumnWidth(1, static_cast<std::uint16_t>(header.size()), 14);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto row = static_cast<std::uint32_t>(i + 1);
    sheet.WriteString(row, 0, rows[i].first);
    for (std::size_t j = 0; j < rows[i].second.size(); ++j) {
      const auto [value, percent] = rows[i].second[j];
      if (std::isfinite(value)) {
        sheet.WriteNumber(row, static_cast<std::uint16_t>(j + 1), value,
                          percent ? Style::kPercent : Style::kRatio);
      }
    }
  }
  sheet.FreezeRows(1);
}

using SheetRows = std::vector<std::pair<std::string, std::vector<std::pair<double, bool>>>>;

std::vector<std::pair<double, bool>> StatsCells(const Stats& s) {
  return {{s.cagr, true},     {s.vol, true},          {s.sharpe, false},
          {s.sortino, false}, {s.max_drawdown, true}, {s.information_ratio, false}};
}

void WriteWorkbook(const fs::path& path, const MultiPeriodResult& r) {
  XlsxWorkbook book(path.string());
  const std::vector<std::string> stats_header = {"Name",    "CAGR",  "Vol", "Sharpe",
                                                 "Sortino", "MaxDD", "IR"};
  SheetRows summary = {{"User (out of sample)", StatsCells(r.summary.out_user)},
                       {"Equal weight (out of sample)", StatsCells(r.summary.out_ew)},
                       {"User (in sample)", StatsCells(r.summary.in_user)},
                       {"Equal weight (in sample)", StatsCells(r.summary.in_ew)}};
  for (const auto& f : r.summary.funds) {
    auto cells = StatsCells(f.out_sample);
    cells.emplace_back(f.average_weight, true);
    summary.emplace_back(f.name, std::move(cells));
  }
  auto summary_header = stats_header;
  summary_header.push_back("Average Weight");
  WriteSheet(book, "summary", summary_header, summary);

  SheetRows execution;
  for (const auto& p : r.periods) {
    execution.push_back({FormatDate(MonthEndFromIndex(p.period.out_end)),
                         {{p.turnover, true}, {p.transaction_cost, true}}});
  }
  WriteSheet(book, "execution", {"Period", "Turnover", "Transaction Cost"}, execution);

  SheetRows contributions;
  for (const auto& c : r.contributions) {
    contributions.push_back(
        {c.manager,
         {{c.years, false}, {c.oos_cagr, true}, {c.contribution, true}, {c.share, true}}});
  }
  WriteSheet(book, "contributions", {"Manager", "Years", "OOS CAGR", "Contribution", "Share"},
             contributions);

  SheetRows equity;
  for (const auto& e : r.equity_curve) {
    equity.push_back(
        {FormatDate(e.date), {{e.user_return, true}, {e.equity, false}, {e.ew_equity, false}}});
  }
  WriteSheet(book, "equity_curve", {"Date", "User Return", "User Equity", "EW Equity"}, equity);

  for (std::size_t k = 0; k < r.periods.size(); ++k) {
    const PeriodResult& p = r.periods[k];
    const AnalysisResult& a = p.analysis;
    SheetRows rows = {{"User portfolio", StatsCells(a.out_user_stats)},
                      {"Equal weight", StatsCells(a.out_ew_stats)}};
    for (std::size_t i = 0; i < a.selected_funds.size(); ++i) {
      auto cells = StatsCells(a.out_sample_stats[i]);
      cells.emplace_back(a.fund_weights[i], true);
      rows.emplace_back(a.selected_funds[i], std::move(cells));
    }
    auto header = stats_header;
    header.push_back("Weight");
    WriteSheet(book, fmt::format("P{:02} {}", k + 1, Window(p.period.out_start, p.period.out_end)),
               header, rows);
  }
  book.Close();
}

}  // namespace

std::string FormatMultiPeriodReport(const MultiPeriodResult& r) {
  std::string out;
  const auto& first = r.periods.front().period;
  const auto& last = r.periods.back().period;
  out += fmt::format("Multi-period backtest ({} path): {} periods, out of sample {}\n\n", r.policy,
                     r.periods.size(), Window(first.out_start, last.out_end));
  out += RenderTextTable(PeriodRows(r));
  out += "\nCombined (periods chained; statistics with rf = 0):\n";
  out += RenderTextTable(SummaryRows(r.summary));
  if (!r.equity_curve.empty()) {
    std::vector<double> equity;
    for (const auto& e : r.equity_curve) equity.push_back(e.equity);
    out +=
        fmt::format("\nEquity of 1 invested ({} .. {}): {:.3f}\n  {}\n",
                    FormatDate(r.equity_curve.front().date), FormatDate(r.equity_curve.back().date),
                    equity.back(), Sparkline(equity, 72));
  }
  out += "\nTop contributors:\n";
  out += RenderTextTable(ContributionRows(r, 10));
  for (const auto& s : r.skipped) {
    out +=
        fmt::format("\nSkipped {}: {}\n", Window(s.period.out_start, s.period.out_end), s.reason);
  }
  return out;
}

std::vector<std::string> WriteMultiPeriodExports(const MultiPeriodResult& r,
                                                 const ExportSettings& exports) {
  if (exports.formats.empty()) return {};
  ExportFiles files(exports.directory, exports.filename);
  for (const auto& format : exports.formats) {
    if (format == "csv") {
      files.Write("_periods.csv", PeriodsCsv(r));
      files.Write("_summary.csv", SummaryCsv(r.summary));
      files.Write("_execution.csv", ExecutionCsv(r));
      files.Write("_contributions.csv", ContributionsCsv(r));
      files.Write("_equity_curve.csv", EquityCsv(r));
    } else if (format == "json") {
      files.Write("_multi_period.json", MultiPeriodToJson(r).dump(2) + "\n");
    } else if (format == "txt") {
      files.Write("_multi_period.txt", FormatMultiPeriodReport(r));
    } else if (format == "xlsx") {
      WriteWorkbook(files.Claim("_multi_period.xlsx"), r);
    }
  }
  return std::move(files).written();
}

}  // namespace trend
