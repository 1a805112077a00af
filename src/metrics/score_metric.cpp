#include "metrics/score_metric.hpp"

#include <array>

namespace trend {
namespace {

struct NamedMetric {
  ScoreMetric metric;
  std::string_view name;
};

constexpr std::array<NamedMetric, 6> kMetrics = {{
    {ScoreMetric::kAnnualReturn, "AnnualReturn"},
    {ScoreMetric::kVolatility, "Volatility"},
    {ScoreMetric::kSharpe, "Sharpe"},
    {ScoreMetric::kSortino, "Sortino"},
    {ScoreMetric::kMaxDrawdown, "MaxDrawdown"},
    {ScoreMetric::kInformationRatio, "InformationRatio"},
}};

}  // namespace

std::optional<ScoreMetric> ScoreMetricFromName(std::string_view canonical_name) {
  for (const auto& m : kMetrics) {
    if (m.name == canonical_name) return m.metric;
  }
  return std::nullopt;
}

std::string_view ScoreMetricName(ScoreMetric metric) {
  for (const auto& m : kMetrics) {
    if (m.metric == metric) return m.name;
  }
  return "";
}

double EvaluateScoreMetric(ScoreMetric metric, const SeriesView& r, const SeriesView* sharpe_rf,
                           Eigen::VectorXd& scratch) {
  switch (metric) {
    case ScoreMetric::kAnnualReturn:
      return AnnualReturn(r);
    case ScoreMetric::kVolatility:
      return Volatility(r);
    case ScoreMetric::kSharpe:
      if (sharpe_rf == nullptr) return SharpeOfExcess(r);
      scratch = r - *sharpe_rf;
      return SharpeOfExcess(scratch);
    case ScoreMetric::kSortino:
      return SortinoOfExcess(r);
    case ScoreMetric::kMaxDrawdown:
      return MaxDrawdown(r);
    case ScoreMetric::kInformationRatio:
      return InformationRatioOfActive(r);
  }
  return 0.0;
}

}  // namespace trend
