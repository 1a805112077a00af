// Market regime labels from a proxy series and the out-of-sample performance table by regime
// (spec §8.4).
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "data/date.hpp"

namespace trend {

// One cell block per portfolio and regime: "<portfolio> / <regime>".
struct RegimeCell {
  std::string column;  // e.g. "User / Risk-On"
  std::optional<double> cagr, sharpe, max_drawdown, hit_rate;
  double observations = 0;
};

struct RegimeTable {
  std::vector<RegimeCell> cells;
};

// Labels for each row of `proxy` (NaN rows get the default label): true = risk-on.
std::vector<bool> RegimeLabels(const Eigen::Ref<const Eigen::VectorXd>& proxy,
                               const RegimeSettings& settings);

struct PortfolioSeries {
  std::string name;  // "User", "Equal-Weight"
  const Eigen::VectorXd* returns;
};

// `proxy` is the whole proxy column over `proxy_dates`; the portfolios and `rf` are aligned
// with `out_dates`.
RegimeTable BuildRegimeTable(const std::vector<Date>& proxy_dates,
                             const Eigen::Ref<const Eigen::VectorXd>& proxy,
                             const std::vector<Date>& out_dates,
                             const std::vector<PortfolioSeries>& portfolios,
                             const Eigen::Ref<const Eigen::VectorXd>& rf,
                             const RegimeSettings& settings);

}  // namespace trend
