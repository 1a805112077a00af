#include "metrics/metrics.hpp"

#include <cmath>
#include <limits>

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Moments {
  Eigen::Index count = 0;
  double mean = kNaN;
  double sample_std = kNaN;
};

// Two-pass mean and sample standard deviation over the non-NaN values for which keep(x) holds.
template <typename Keep>
Moments SampleMoments(const SeriesView& r, Keep keep) {
  Moments m;
  double sum = 0.0;
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    const double x = r[i];
    if (std::isnan(x) || !keep(x)) continue;
    sum += x;
    ++m.count;
  }
  if (m.count == 0) return m;
  m.mean = sum / static_cast<double>(m.count);
  if (m.count < 2) return m;
  double ss = 0.0;
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    const double x = r[i];
    if (std::isnan(x) || !keep(x)) continue;
    const double d = x - m.mean;
    ss += d * d;
  }
  m.sample_std = std::sqrt(ss / static_cast<double>(m.count - 1));
  return m;
}

Moments SampleMoments(const SeriesView& r) {
  return SampleMoments(r, [](double) { return true; });
}

}  // namespace

double AnnualReturn(const SeriesView& r, double ppy) {
  if (r.size() == 0) return kNaN;
  double growth = 1.0;
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    if (!std::isnan(r[i])) growth *= 1.0 + r[i];
  }
  if (growth <= 0.0) return -1.0;
  return std::pow(growth, ppy / static_cast<double>(r.size())) - 1.0;
}

double Volatility(const SeriesView& r, double ppy) {
  if (r.size() < 2) return kNaN;
  return SampleMoments(r).sample_std * std::sqrt(ppy);
}

double SharpeOfExcess(const SeriesView& excess, double ppy) {
  const double vol = Volatility(excess, ppy);
  if (vol == 0.0 || std::isnan(vol)) return kNaN;
  return AnnualReturn(excess, ppy) / vol;
}

double SortinoOfExcess(const SeriesView& excess, double ppy) {
  const Moments downside = SampleMoments(excess, [](double x) { return x < 0.0; });
  double deviation = kNaN;
  if (downside.count == 0) return kNaN;
  if (downside.count == 1) {
    deviation = 2.0 * std::abs(downside.mean);
  } else {
    deviation = downside.sample_std * std::sqrt(ppy);
  }
  if (deviation == 0.0 || std::isnan(deviation)) return kNaN;
  return AnnualReturn(excess, ppy) / deviation;
}

double MaxDrawdown(const SeriesView& r) {
  double wealth = 1.0;
  double peak = -std::numeric_limits<double>::infinity();
  double worst = kNaN;
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    if (std::isnan(r[i])) continue;
    wealth *= 1.0 + r[i];
    peak = std::max(peak, wealth);
    const double drawdown = 1.0 - wealth / peak;
    worst = std::isnan(worst) ? drawdown : std::max(worst, drawdown);
  }
  return worst;
}

double InformationRatioOfActive(const SeriesView& active, double ppy) {
  if (active.size() < 2) return kNaN;
  const Moments m = SampleMoments(active);
  const double tracking_error = m.sample_std * std::sqrt(ppy);
  if (std::isnan(tracking_error) || std::abs(tracking_error) <= 1e-15) return kNaN;
  return m.mean * ppy / tracking_error;
}

// The same definitions as the single metrics, with each pass over the data done once.
Stats ComputeStats(const SeriesView& r, const SeriesView& rf, Eigen::VectorXd& scratch) {
  scratch = r - rf;
  const double sqrt_ppy = std::sqrt(kPeriodsPerYear);
  const bool enough_rows = r.size() >= 2;
  Stats s;
  s.cagr = AnnualReturn(r);
  s.vol = enough_rows ? SampleMoments(r).sample_std * sqrt_ppy : kNaN;
  s.max_drawdown = MaxDrawdown(r);

  const double excess_cagr = AnnualReturn(scratch);
  const Moments excess = SampleMoments(scratch);
  const double excess_vol = enough_rows ? excess.sample_std * sqrt_ppy : kNaN;
  s.sharpe = (excess_vol == 0.0 || std::isnan(excess_vol)) ? kNaN : excess_cagr / excess_vol;
  s.information_ratio = (!enough_rows || std::isnan(excess_vol) || std::abs(excess_vol) <= 1e-15)
                            ? kNaN
                            : excess.mean * kPeriodsPerYear / excess_vol;

  const Moments downside = SampleMoments(scratch, [](double x) { return x < 0.0; });
  double deviation = kNaN;
  if (downside.count == 1) deviation = 2.0 * std::abs(downside.mean);
  if (downside.count > 1) deviation = downside.sample_std * sqrt_ppy;
  s.sortino = (deviation == 0.0 || std::isnan(deviation)) ? kNaN : excess_cagr / deviation;
  return s;
}

Stats ComputeStats(const SeriesView& r, const SeriesView& rf) {
  Eigen::VectorXd scratch;
  return ComputeStats(r, rf, scratch);
}

}  // namespace trend
