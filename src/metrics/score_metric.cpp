#include "metrics/score_metric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace trend {
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
    case ScoreMetric::kAvgCorr:
      break;  // a frame metric: AverageCorrelations
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> AverageCorrelations(const Eigen::MatrixXd& frame) {
  const auto n = static_cast<std::size_t>(frame.cols());
  std::vector<double> out(n, 0.0);
  if (n <= 1) return out;
  std::vector<double> sum(n, 0.0);
  std::vector<int> count(n, 0);
  for (Eigen::Index i = 0; i < frame.cols(); ++i) {
    for (Eigen::Index j = i + 1; j < frame.cols(); ++j) {
      // Pairwise-complete Pearson correlation, as pandas' DataFrame.corr.
      double mean_x = 0, mean_y = 0;
      int rows = 0;
      for (Eigen::Index t = 0; t < frame.rows(); ++t) {
        const double x = frame(t, i), y = frame(t, j);
        if (std::isnan(x) || std::isnan(y)) continue;
        mean_x += x;
        mean_y += y;
        ++rows;
      }
      if (rows < 2) continue;
      mean_x /= rows;
      mean_y /= rows;
      double sxx = 0, syy = 0, sxy = 0;
      for (Eigen::Index t = 0; t < frame.rows(); ++t) {
        const double x = frame(t, i), y = frame(t, j);
        if (std::isnan(x) || std::isnan(y)) continue;
        sxx += (x - mean_x) * (x - mean_x);
        syy += (y - mean_y) * (y - mean_y);
        sxy += (x - mean_x) * (y - mean_y);
      }
      const double denominator = std::sqrt(sxx * syy);
      if (!(denominator > 0)) continue;
      const double r = std::clamp(sxy / denominator, -1.0, 1.0);
      const auto a = static_cast<std::size_t>(i), b = static_cast<std::size_t>(j);
      sum[a] += r;
      sum[b] += r;
      ++count[a];
      ++count[b];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = count[i] == 0 ? std::numeric_limits<double>::quiet_NaN() : sum[i] / count[i];
  }
  return out;
}

std::vector<double> MetricAcrossColumns(ScoreMetric metric, const Eigen::MatrixXd& frame,
                                        const Eigen::VectorXd* sharpe_rf) {
  if (metric == ScoreMetric::kAvgCorr) return AverageCorrelations(frame);
  std::vector<double> values(static_cast<std::size_t>(frame.cols()));
  Eigen::VectorXd scratch;
  std::optional<SeriesView> rf;
  if (sharpe_rf) rf.emplace(*sharpe_rf);
  for (Eigen::Index j = 0; j < frame.cols(); ++j) {
    values[static_cast<std::size_t>(j)] =
        EvaluateScoreMetric(metric, frame.col(j), rf ? &*rf : nullptr, scratch);
  }
  return values;
}

}  // namespace trend
