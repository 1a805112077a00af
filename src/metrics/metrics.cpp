#include "metrics/metrics.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Moments {
  Eigen::Index count = 0;
  double mean = kNaN;
  double sample_std = kNaN;
};

// Pairwise summation as numpy's float reductions do it (which pandas' mean and std call on the
// NaN-zeroed column): blocks of up to 128 terms summed in 8 interleaved accumulators, larger
// ranges split in halves. It is more accurate than a running sum, gives the reference's
// rounding, and the 8 independent chains run in parallel in the CPU.
template <typename Term>
double PairwiseSum(Eigen::Index begin, Eigen::Index n, const Term& term) {
  if (n < 8) {
    double sum = 0.0;  // numpy starts short sums at +0.0 too
    for (Eigen::Index i = 0; i < n; ++i) sum += term(begin + i);
    return sum;
  }
  if (n <= 128) {
    double acc[8];
    for (int j = 0; j < 8; ++j) acc[j] = term(begin + j);
    Eigen::Index i = 8;
    for (; i + 8 <= n; i += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += term(begin + i + j);
    }
    double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) sum += term(begin + i);
    return sum;
  }
  Eigen::Index half = n / 2;
  half -= half % 8;
  return PairwiseSum(begin, half, term) + PairwiseSum(begin + half, n - half, term);
}

// Mean and sample standard deviation of the values v[0..n) that `counted(i)` admits, the others
// contributing zero: pandas' nanmean and nanstd (ddof 1), which zero the NaN cells and sum.
template <typename Value, typename Counted>
Moments MaskedMoments(Eigen::Index n, Eigen::Index count, const Value& v, const Counted& counted) {
  Moments m;
  m.count = count;
  if (count == 0) return m;
  m.mean = PairwiseSum(0, n, [&](Eigen::Index i) { return counted(i) ? v(i) : 0.0; }) /
           static_cast<double>(count);
  if (count < 2) return m;
  const double ss = PairwiseSum(0, n, [&](Eigen::Index i) {
    const double d = m.mean - v(i);
    return counted(i) ? d * d : 0.0;
  });
  m.sample_std = std::sqrt(ss / static_cast<double>(count - 1));
  return m;
}

// Moments over the non-NaN values of a series (the whole column, NaN zeroed).
Moments SampleMoments(const SeriesView& r) {
  Eigen::Index count = 0;
  for (Eigen::Index i = 0; i < r.size(); ++i) count += std::isnan(r[i]) ? 0 : 1;
  return MaskedMoments(
      r.size(), count, [&](Eigen::Index i) { return r[i]; },
      [&](Eigen::Index i) { return !std::isnan(r[i]); });
}

// Moments of the negative values only: pandas' r[r < 0].std() works on the filtered, shorter
// series, so they are gathered first and the summation runs over that series.
Moments DownsideMoments(const SeriesView& r, std::vector<double>& negatives) {
  negatives.clear();
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    if (r[i] < 0.0) negatives.push_back(r[i]);  // NaN compares false
  }
  const auto n = static_cast<Eigen::Index>(negatives.size());
  return MaskedMoments(
      n, n, [&](Eigen::Index i) { return negatives[static_cast<std::size_t>(i)]; },
      [](Eigen::Index) { return true; });
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
  std::vector<double> negatives;
  const Moments downside = DownsideMoments(excess, negatives);
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

  thread_local std::vector<double> negatives;
  const Moments downside = DownsideMoments(scratch, negatives);
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

std::vector<double> RollingSharpe(const SeriesView& excess, int window, double ppy) {
  const auto n = static_cast<Eigen::Index>(excess.size());
  std::vector<double> out(static_cast<std::size_t>(n), std::numeric_limits<double>::quiet_NaN());
  for (Eigen::Index end = window; end <= n && window > 1; ++end)
    out[static_cast<std::size_t>(end - 1)] =
        SharpeOfExcess(excess.segment(end - window, window), ppy);
  return out;
}

}  // namespace trend
