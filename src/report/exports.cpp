#include "report/exports.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error/input_error.hpp"
#include "report/export_files.hpp"
#include "report/json_report.hpp"
#include "report/summary_table.hpp"
#include "report/text_report.hpp"
#include "report/xlsx_workbook.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

// Values in the CSV/JSON/TXT tables are in display units: percentages x 100.
double DisplayValue(double v, CellKind kind) {
  return kind == CellKind::kPercent ? v * 100.0 : v;
}

std::string SummaryCsv(const SummaryTable& t) {
  std::string out = "Name";
  for (const auto& c : t.columns) out += "," + CsvField(c.header);
  out += "\n";
  for (const auto& row : t.rows) {
    out += CsvField(row.name);
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      const auto& v = row.values[j];
      out += "," + CsvNumber(v ? std::optional<double>(DisplayValue(*v, t.columns[j].kind))
                               : std::nullopt);
    }
    out += "\n";
  }
  return out;
}

nlohmann::json SummaryJson(const SummaryTable& t) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& row : t.rows) {
    nlohmann::json rec;
    rec["Name"] = row.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.name);
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      const auto& v = row.values[j];
      rec[t.columns[j].header] =
          v ? nlohmann::json(DisplayValue(*v, t.columns[j].kind)) : nlohmann::json(nullptr);
    }
    records.push_back(std::move(rec));
  }
  return records;
}

// Per-fund out-of-sample statistics with the fund names kept (the reference drops them).
std::string MetricsCsv(const AnalysisResult& r) {
  std::string out = "Fund,Weight,cagr,vol,sharpe,sortino,max_drawdown,information_ratio";
  for (const auto& b : r.benchmarks) out += ",ir_" + CsvField(b.label);
  out += "\n";
  auto num = [](double x) { return std::isnan(x) ? std::string() : fmt::format("{}", x); };
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    const Stats& s = r.out_sample_stats[i];
    out += fmt::format("{},{},{},{},{},{},{},{}", CsvField(r.selected_funds[i]),
                       num(r.fund_weights[i]), num(s.cagr), num(s.vol), num(s.sharpe),
                       num(s.sortino), num(s.max_drawdown), num(s.information_ratio));
    for (const auto& b : r.benchmarks) out += "," + num(b.fund_ir[i]);
    out += "\n";
  }
  return out;
}

void WriteWorkbook(const fs::path& path, const AnalysisResult& r, const AnalysisSettings& s) {
  using Style = XlsxWorkbook::Style;
  XlsxWorkbook workbook(path.string());
  XlsxWorkbook::Sheet sheet = workbook.AddSheet("summary");
  sheet.WriteString(0, 0, "Vol-Adj Trend Analysis", Style::kBold);
  sheet.WriteString(1, 0, InSampleLine(r));
  sheet.WriteString(2, 0, OutSampleLine(r));
  sheet.WriteString(3, 0, MetadataLine(r, s));

  const SummaryTable t = BuildSummaryTable(r);
  constexpr std::uint32_t kHeaderRow = 4;
  sheet.WriteString(kHeaderRow, 0, "Name", Style::kBold);
  sheet.SetColumnWidth(0, 0, 24);
  for (std::size_t j = 0; j < t.columns.size(); ++j) {
    const auto col = static_cast<std::uint16_t>(j + 1);
    sheet.WriteString(kHeaderRow, col, t.columns[j].header, Style::kBold);
    sheet.SetColumnWidth(col, col, static_cast<double>(t.columns[j].header.size() + 2));
  }
  std::uint32_t row_index = kHeaderRow + 1;
  for (const auto& row : t.rows) {
    if (row.name.empty()) continue;  // the workbook has no separator row
    sheet.WriteString(row_index, 0, row.name);
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      const auto& v = row.values[j];
      if (!v || !std::isfinite(*v)) continue;
      const bool is_drawdown = t.columns[j].header.find("MaxDD") != std::string::npos;
      const Style style = t.columns[j].kind == CellKind::kRatio
                              ? Style::kRatio
                              : (is_drawdown ? Style::kPercentRed : Style::kPercent);
      sheet.WriteNumber(row_index, static_cast<std::uint16_t>(j + 1), *v, style);
    }
    ++row_index;
  }
  sheet.FreezeRows(kHeaderRow + 1);
  sheet.AutoFilter(kHeaderRow, row_index - 1, static_cast<std::uint16_t>(t.columns.size()));

  // Scaled out-of-sample returns of the portfolios, for charts in a spreadsheet.
  XlsxWorkbook::Sheet returns = workbook.AddSheet("portfolio_returns");
  const char* headers[] = {"Date", "Equal Weight", "User Weight"};
  for (std::uint16_t c = 0; c < 3; ++c) returns.WriteString(0, c, headers[c], Style::kBold);
  for (std::size_t i = 0; i < r.out_dates.size(); ++i) {
    const auto row = static_cast<std::uint32_t>(i + 1);
    returns.WriteString(row, 0, FormatDate(r.out_dates[i]));
    returns.WriteNumber(row, 1, r.out_ew[static_cast<Eigen::Index>(i)], Style::kPercent);
    returns.WriteNumber(row, 2, r.out_user[static_cast<Eigen::Index>(i)], Style::kPercent);
  }
  returns.SetColumnWidth(0, 2, 14);
  workbook.Close();
}

}  // namespace

std::vector<std::string> WriteExports(const AnalysisResult& r, const AnalysisSettings& s,
                                      const ExportSettings& exports) {
  if (exports.formats.empty()) return {};
  ExportFiles files(exports.directory, exports.filename);
  const SummaryTable table = BuildSummaryTable(r);
  for (const auto& format : exports.formats) {
    if (format == "csv") {
      files.Write("_summary.csv", SummaryCsv(table));
      files.Write("_metrics.csv", MetricsCsv(r));
    } else if (format == "json") {
      files.Write("_summary.json", SummaryJson(table).dump(2) + "\n");
      files.Write("_result.json", AnalysisToJsonText(r) + "\n");
    } else if (format == "txt") {
      files.Write("_summary.txt", FormatTextSummary(r, s));
    } else if (format == "xlsx") {
      WriteWorkbook(files.Claim(".xlsx"), r, s);
    }
  }
  return std::move(files).written();
}

}  // namespace trend
