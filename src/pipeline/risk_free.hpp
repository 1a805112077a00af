// The one risk-free choice of every path (spec §1.4): the configured column, checked, or with
// data.allow_risk_free_fallback the well-covered column of lowest volatility. The single-period
// analysis makes it over its two windows; the threshold-hold engine over the whole panel.
#pragma once

#include <Eigen/Core>
#include <set>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "data/returns_frame.hpp"
#include "data/valid_counts.hpp"

namespace trend {

// Columns not in `excluded` with at least max(2, ceil(0.6 x months)) values over `rows`.
std::vector<std::size_t> WellCoveredColumns(const ReturnsFrame& panel, const ValidCounts& valid,
                                            const std::vector<Eigen::Index>& rows, int months,
                                            const std::set<std::string>& excluded);

struct RiskFreeChoice {
  std::size_t column = 0;
  bool fallback = false;
  std::string warning;  // set for a fallback: which column was picked and why
};

// The configured column must exist, not be one of `indices` and be well covered over `rows`;
// the fallback picks among `fallback_candidates`. Throws ConfigError for a configuration that
// cannot work and InputError when the data do not cover it.
RiskFreeChoice ChooseRiskFree(const ReturnsFrame& panel, const ValidCounts& valid,
                              const std::vector<Eigen::Index>& rows, int months,
                              const std::vector<std::size_t>& fallback_candidates,
                              const std::set<std::string>& indices, const DataSettings& data);

}  // namespace trend
