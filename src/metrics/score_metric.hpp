// The named metrics that rank selection and the score frame compute per fund.
#pragma once

#include <optional>
#include <string_view>

#include "metrics/metrics.hpp"

namespace trend {

enum class ScoreMetric {
  kAnnualReturn,
  kVolatility,
  kSharpe,
  kSortino,
  kMaxDrawdown,
  kInformationRatio
};

std::optional<ScoreMetric> ScoreMetricFromName(std::string_view canonical_name);
std::string_view ScoreMetricName(ScoreMetric metric);

// Only MaxDrawdown ranks ascending (the reference ranks Volatility descending too).
inline bool SmallerIsBetter(ScoreMetric metric) {
  return metric == ScoreMetric::kMaxDrawdown;
}

// Sharpe is measured against `sharpe_rf` when given (rf = 0 otherwise); Sortino and the
// information ratio are always measured against 0, as in the reference's score frame.
double EvaluateScoreMetric(ScoreMetric metric, const SeriesView& r, const SeriesView* sharpe_rf,
                           Eigen::VectorXd& scratch);

}  // namespace trend
