#include "weighting/vol_targeting.hpp"

#include <cmath>
#include <limits>

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double SimpleVolLast(const Eigen::Ref<const Eigen::VectorXd>& x, int window) {
  const Eigen::Index n = x.size();
  const Eigen::Index start = std::max<Eigen::Index>(0, n - window);
  double sum = 0;
  int count = 0;
  bool constant = true;  // pandas' rolling std is exactly 0 for a window of equal values
  double first = kNaN;
  for (Eigen::Index i = start; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    if (count == 0) first = x[i];
    constant = constant && x[i] == first;
    sum += x[i];
    ++count;
  }
  if (count == 0) return kNaN;
  if (constant) return 0.0;
  const double mean = sum / count;
  double ss = 0;
  for (Eigen::Index i = start; i < n; ++i) {
    if (!std::isnan(x[i])) ss += (x[i] - mean) * (x[i] - mean);
  }
  return std::sqrt(ss / count);
}

// pandas ewm(alpha, adjust=False).std(bias=False), NaN rows decaying the weights.
double EwmaVolLast(const Eigen::Ref<const Eigen::VectorXd>& x, double lambda) {
  const double alpha = 1.0 - lambda;
  const Eigen::Index n = x.size();
  Eigen::Index t0 = 0;
  while (t0 < n && std::isnan(x[t0])) ++t0;
  if (t0 >= n - 1) return kNaN;
  double mean = x[t0];
  double s = 0.0;           // weighted sum of squared deviations
  double old_weight = 1.0;  // sum of weights
  double sum_sq_weights = 1.0;
  for (Eigen::Index t = t0 + 1; t < n; ++t) {
    old_weight *= 1.0 - alpha;
    sum_sq_weights *= (1.0 - alpha) * (1.0 - alpha);
    if (std::isnan(x[t])) continue;
    // adjust=False: new observation weight alpha relative to total weight 1 after decay.
    const double total = old_weight + alpha;
    // As pandas: the mean only moves when the value differs, so a constant series keeps its
    // mean exactly and its deviation exactly 0.
    const double new_mean = mean != x[t] ? (old_weight * mean + alpha * x[t]) / total : mean;
    s = (old_weight * (s + (mean - new_mean) * (mean - new_mean)) +
         alpha * (x[t] - new_mean) * (x[t] - new_mean)) /
        total;
    sum_sq_weights = (sum_sq_weights + alpha * alpha) / (total * total);
    old_weight = 1.0;
    mean = new_mean;
  }
  const double denom = 1.0 - sum_sq_weights;
  if (denom <= 0) return kNaN;
  return std::sqrt(std::max(s / denom, 0.0));
}

}  // namespace

double RealisedVolatilityLast(const Eigen::Ref<const Eigen::VectorXd>& series,
                              const VolAdjustSettings& settings, double ppy) {
  if (series.size() == 0) return kNaN;
  const double raw =
      settings.decay == VolDecay::kEwma
          ? EwmaVolLast(series, settings.ewma_lambda)
          : SimpleVolLast(series, settings.window_length.value_or(static_cast<int>(series.size())));
  return raw * std::sqrt(ppy);
}

double ScaleFactorFromVol(double vol, const VolAdjustSettings& settings) {
  if (vol == 0.0) vol = kNaN;
  if (settings.floor_vol > 0 && !std::isnan(vol)) vol = std::max(vol, settings.floor_vol);
  const double factor = settings.target_vol / vol;
  return std::isfinite(factor) ? factor : 0.0;
}

}  // namespace trend
