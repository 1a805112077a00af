// Performance metrics of periodic (monthly) return series, as the reference defines them
// (spec §4.2). Pure functions over column views: no copies of the returns matrix, no I/O.
// A series' length N counts every row, NaN rows included (they act as 0 % periods in CAGR).
#pragma once

#include <vector>

#include <Eigen/Core>

namespace trend {

inline constexpr double kPeriodsPerYear = 12.0;

using SeriesView = Eigen::Ref<const Eigen::VectorXd>;

// Geometric annual growth: prod(1 + r)^(ppy/N) - 1; -1 when the product is <= 0; decimal/yr.
double AnnualReturn(const SeriesView& r, double ppy = kPeriodsPerYear);

// sqrt(ppy) x sample std (ddof 1, NaN skipped); NaN below two observations. Decimal/yr.
double Volatility(const SeriesView& r, double ppy = kPeriodsPerYear);

// AnnualReturn(e) / Volatility(e) for an excess series e = r - rf; NaN when the vol is 0.
double SharpeOfExcess(const SeriesView& excess, double ppy = kPeriodsPerYear);

// AnnualReturn(e) / D, D = sqrt(ppy) x sample std of the negative e (around their own mean);
// one negative value gives D = 2|e| unannualised; NaN without negative values.
double SortinoOfExcess(const SeriesView& excess, double ppy = kPeriodsPerYear);

// Largest peak-to-trough fall of cumulative wealth, a positive fraction. The running peak
// starts at the first period's wealth, so a first-period loss is not a drawdown.
double MaxDrawdown(const SeriesView& r);

// The Sharpe ratio of each trailing `window` rows of `excess` (NaN before the first full
// window), for the reports' rolling 12-month Sharpe.
std::vector<double> RollingSharpe(const SeriesView& excess, int window,
                                  double ppy = kPeriodsPerYear);

// ppy x mean(a) / (sqrt(ppy) x sample std(a)) for active returns a = r - b; NaN when the
// tracking error is <= 1e-15 or fewer than two rows.
double InformationRatioOfActive(const SeriesView& active, double ppy = kPeriodsPerYear);

// The six statistics reported for every fund and portfolio.
struct Stats {
  double cagr = 0, vol = 0, sharpe = 0, sortino = 0, max_drawdown = 0, information_ratio = 0;
};

// Stats of r measured against the risk-free series rf (same length): Sharpe, Sortino and IR use
// e = r - rf; `scratch` is reused to hold e.
Stats ComputeStats(const SeriesView& r, const SeriesView& rf, Eigen::VectorXd& scratch);
Stats ComputeStats(const SeriesView& r, const SeriesView& rf);

}  // namespace trend
