#include "pipeline/risk_free.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "error/input_error.hpp"
#include "metrics/metrics.hpp"

namespace trend {
namespace {

int MinimumValues(int months) {
  return std::max(2, static_cast<int>(std::ceil(0.6 * std::max(months, 1))));
}

}  // namespace

std::vector<std::size_t> WellCoveredColumns(const ReturnsFrame& panel, const ValidCounts& valid,
                                            const std::vector<Eigen::Index>& rows, int months,
                                            const std::set<std::string>& excluded) {
  const int needed = MinimumValues(months);
  std::vector<std::size_t> out;
  for (std::size_t j = 0; j < panel.cols(); ++j) {
    if (excluded.count(panel.columns[j])) continue;
    if (ValidCounts::Count(valid, panel.values, j, rows) >= needed) out.push_back(j);
  }
  return out;
}

RiskFreeChoice ChooseRiskFree(const ReturnsFrame& panel, const ValidCounts& valid,
                              const std::vector<Eigen::Index>& rows, int months,
                              const std::vector<std::size_t>& fallback_candidates,
                              const std::set<std::string>& indices, const DataSettings& data) {
  RiskFreeChoice choice;
  if (data.risk_free_column) {
    const std::string& name = *data.risk_free_column;
    const auto col = panel.FindColumn(name);
    if (!col) {
      throw ConfigError(
          fmt::format("data.risk_free_column = '{}': no such column in the returns (columns: {})",
                      name, fmt::join(panel.columns, ", ")));
    }
    if (indices.count(name)) {
      throw ConfigError(fmt::format(
          "data.risk_free_column = '{}' is also listed in portfolio.indices_list", name));
    }
    const int values = ValidCounts::Count(valid, panel.values, *col, rows);
    if (values < MinimumValues(months)) {
      throw InputError(
          fmt::format("data.risk_free_column = '{}' has too few values in the analysis windows ({} "
                      "of {} months)",
                      name, values, months));
    }
    choice.column = *col;
    return choice;
  }
  if (!data.allow_risk_free_fallback) {
    throw ConfigError(
        "no risk-free rate: set data.risk_free_column or enable data.allow_risk_free_fallback");
  }
  if (fallback_candidates.empty())
    throw InputError("no column has enough data to serve as the risk-free rate");
  double best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd series(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t j : fallback_candidates) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      series[static_cast<Eigen::Index>(i)] = panel.values(rows[i], static_cast<Eigen::Index>(j));
    }
    const double sd = Volatility(series, 1.0);
    if (sd < best) {
      best = sd;
      choice.column = j;
    }
  }
  choice.fallback = true;
  choice.warning = fmt::format(
      "data.risk_free_column is not set and data.allow_risk_free_fallback is true: '{}', the "
      "lowest-volatility column, is used as the risk-free rate",
      panel.columns[choice.column]);
  return choice;
}

}  // namespace trend
