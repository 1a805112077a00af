#include "pipeline/regime.hpp"

#include <cmath>
#include <limits>

#include "metrics/metrics.hpp"

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> RollingMean(const std::vector<double>& x, int window) {
  std::vector<double> out(x.size(), kNaN);
  for (std::size_t t = static_cast<std::size_t>(window) - 1; t < x.size(); ++t) {
    double sum = 0;
    bool ok = true;
    for (std::size_t k = t + 1 - static_cast<std::size_t>(window); k <= t; ++k) {
      if (std::isnan(x[k])) ok = false;
      sum += x[k];
    }
    if (ok) out[t] = sum / window;
  }
  return out;
}

}  // namespace

std::vector<bool> RegimeLabels(const Eigen::Ref<const Eigen::VectorXd>& proxy,
                               const RegimeSettings& s) {
  const auto n = static_cast<std::size_t>(proxy.size());
  const auto lookback = static_cast<std::size_t>(s.lookback);
  std::vector<double> raw(n, kNaN);
  for (std::size_t t = 0; t < n; ++t) {
    if (t + 1 < lookback) continue;
    if (s.method == RegimeMethod::kVolatility) {
      double sum = 0;
      for (std::size_t k = t + 1 - lookback; k <= t; ++k)
        sum += proxy[static_cast<Eigen::Index>(k)];
      const double mean = sum / static_cast<double>(lookback);
      double ss = 0;
      for (std::size_t k = t + 1 - lookback; k <= t; ++k) {
        const double d = proxy[static_cast<Eigen::Index>(k)] - mean;
        ss += d * d;
      }
      raw[t] = std::sqrt(ss / static_cast<double>(lookback)) *
               (s.annualise_volatility ? std::sqrt(kPeriodsPerYear) : 1.0);
    } else {
      double growth = 1.0;
      for (std::size_t k = t + 1 - lookback; k <= t; ++k)
        growth *= 1.0 + proxy[static_cast<Eigen::Index>(k)];
      raw[t] = growth - 1.0;
    }
  }
  if (s.smoothing > 1) raw = RollingMean(raw, s.smoothing);
  const bool default_on = !s.default_label || *s.default_label != s.risk_off_label;
  std::vector<bool> on(n, default_on);
  for (std::size_t t = 0; t < n; ++t) {
    if (std::isnan(raw[t])) continue;
    const double signal =
        s.method == RegimeMethod::kVolatility ? s.threshold - raw[t] : raw[t] - s.threshold;
    if (s.neutral_band > 0) {
      if (signal >= s.neutral_band)
        on[t] = true;
      else if (signal <= -s.neutral_band)
        on[t] = false;
    } else {
      on[t] = signal >= 0;
    }
  }
  return on;
}

RegimeTable BuildRegimeTable(const std::vector<Date>& proxy_dates,
                             const Eigen::Ref<const Eigen::VectorXd>& proxy,
                             const std::vector<Date>& out_dates,
                             const std::vector<PortfolioSeries>& portfolios,
                             const Eigen::Ref<const Eigen::VectorXd>& rf, const RegimeSettings& s) {
  // Proxy history without its missing rows.
  std::vector<Date> dates;
  std::vector<double> values;
  for (Eigen::Index i = 0; i < proxy.size(); ++i) {
    if (std::isnan(proxy[i])) continue;
    dates.push_back(proxy_dates[static_cast<std::size_t>(i)]);
    values.push_back(proxy[i]);
  }
  const std::vector<bool> labels = RegimeLabels(
      Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size())),
      s);

  // Out-of-sample labels: the latest label on or before each date, else the first one after.
  std::vector<bool> out_on(out_dates.size(), true);
  for (std::size_t i = 0; i < out_dates.size(); ++i) {
    const auto it = std::upper_bound(dates.begin(), dates.end(), out_dates[i]);
    if (it != dates.begin()) {
      out_on[i] = labels[static_cast<std::size_t>(it - dates.begin() - 1)];
    } else if (!labels.empty()) {
      out_on[i] = labels.front();
    }
  }

  RegimeTable table;
  const std::string regime_names[3] = {s.risk_on_label, s.risk_off_label, "All"};
  for (const auto& portfolio : portfolios) {
    for (int regime = 0; regime < 3; ++regime) {
      Eigen::VectorXd r, f;
      std::vector<double> rv, fv;
      for (std::size_t i = 0; i < out_dates.size(); ++i) {
        const bool include = regime == 2 || (regime == 0 ? out_on[i] : !out_on[i]);
        if (!include) continue;
        rv.push_back((*portfolio.returns)[static_cast<Eigen::Index>(i)]);
        fv.push_back(rf[static_cast<Eigen::Index>(i)]);
      }
      r = Eigen::Map<Eigen::VectorXd>(rv.data(), static_cast<Eigen::Index>(rv.size()));
      f = Eigen::Map<Eigen::VectorXd>(fv.data(), static_cast<Eigen::Index>(fv.size()));
      RegimeCell cell;
      cell.column = portfolio.name + " / " + regime_names[regime];
      cell.observations = static_cast<double>(rv.size());
      if (static_cast<int>(rv.size()) >= s.min_observations && !rv.empty()) {
        const Eigen::VectorXd excess = r - f;
        cell.cagr = AnnualReturn(r);
        cell.sharpe = SharpeOfExcess(excess);
        cell.max_drawdown = MaxDrawdown(r);
        cell.hit_rate = (r.array() > 0).cast<double>().mean();
      }
      table.cells.push_back(std::move(cell));
    }
  }
  return table;
}

}  // namespace trend
