#include "report/sweep_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "report/export_files.hpp"
#include "report/json_report.hpp"

namespace trend {
namespace {

// Shortest text that reads back as the same double; NaN as an empty cell.
std::string Num(double v) {
  return std::isnan(v) ? std::string() : fmt::format("{}", v);
}

}  // namespace

std::string SweepCsvHeader(const SweepGrid& grid) {
  std::string out = "index";
  for (const auto& axis : grid.axes) out += "," + CsvField(axis.key);
  out += ",status,cagr,vol,sharpe,sortino,max_drawdown,information_ratio";
  if (grid.multi_period) out += ",mean_turnover,total_transaction_cost,periods";
  out += ",error,warnings\n";
  return out;
}

std::string SweepCsvLine(const SweepGrid& grid, const SweepRow& row) {
  std::string out = std::to_string(row.index);
  for (std::size_t k = 0; k < grid.axes.size(); ++k)
    out += "," + CsvField(grid.axes[k].values[row.coordinates[k]].label);
  const Stats& s = row.out_user;
  if (row.error.empty()) {
    out += fmt::format(",ok,{},{},{},{},{},{}", Num(s.cagr), Num(s.vol), Num(s.sharpe),
                       Num(s.sortino), Num(s.max_drawdown), Num(s.information_ratio));
    if (grid.multi_period)
      out += fmt::format(",{},{},{}", Num(row.turnover), Num(row.transaction_cost), row.periods);
  } else {
    out += ",error,,,,,,";
    if (grid.multi_period) out += ",,,";
  }
  out +=
      "," + CsvField(row.error) + "," + CsvField(fmt::format("{}", fmt::join(row.warnings, "; ")));
  out += "\n";
  return out;
}

nlohmann::json SweepJsonLine(const SweepGrid& grid, const SweepRow& row) {
  nlohmann::json params = nlohmann::json::object();
  for (std::size_t k = 0; k < grid.axes.size(); ++k)
    params[grid.axes[k].key] = grid.axes[k].values[row.coordinates[k]].label;
  const bool ok = row.error.empty();
  nlohmann::json line = {{"index", row.index}, {"params", params}, {"status", ok ? "ok" : "error"}};
  if (ok) {
    line.update(StatsToJson(row.out_user));  // the six metrics, NaN as null
    if (grid.multi_period) {
      const auto number = [](double v) {
        return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
      };
      line["mean_turnover"] = number(row.turnover);
      line["total_transaction_cost"] = number(row.transaction_cost);
      line["periods"] = row.periods;
    }
  } else {
    line["error"] = row.error;
  }
  if (!row.warnings.empty()) line["warnings"] = row.warnings;
  return line;
}

}  // namespace trend
