// Reference behaviour found by running both engines on random configs and data (issue 9), one
// test per gap: constant-return funds, the fallback path's portfolio volatility, a risk-free
// fallback reported as a warning, and weighting-scheme fallbacks.
#include <gtest/gtest.h>

#include <cmath>

#include "error/input_error.hpp"
#include "pipeline/analysis.hpp"
#include "test_inputs.hpp"
#include "weighting/vol_targeting.hpp"

namespace trend {
namespace {

using testing::Analyse;
using testing::kSpecReturns;
using testing::SpecConfig;
using testing::WeightOf;

// kSpecReturns with a fourth fund D whose returns never change (a money-market-like fund).
std::string WithConstantFund() {
  std::string csv;
  std::size_t start = 0;
  for (int row = 0; start < std::string(kSpecReturns).size(); ++row) {
    const std::string text(kSpecReturns);
    const std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    const std::size_t rf = line.rfind(',');
    line.insert(rf, row == 0 ? ",D" : ",0.003");
    csv += line + "\n";
    start = end + 1;
  }
  return csv;
}

// A window of identical values has a realised volatility of exactly 0, as pandas' rolling std
// gives, for both estimators; 0.1 + 0.2 - 0.3 style rounding must not leave ~1e-17.
TEST(ConstantReturns, RealisedVolatilityIsExactlyZero) {
  Eigen::VectorXd x = Eigen::VectorXd::Constant(24, 0.1 + 0.2 - 0.3 + 0.003);
  VolAdjustSettings simple;
  EXPECT_EQ(RealisedVolatilityLast(x, simple), 0.0);
  simple.window_length = 6;
  EXPECT_EQ(RealisedVolatilityLast(x, simple), 0.0);
  VolAdjustSettings ewma;
  ewma.decay = VolDecay::kEwma;
  EXPECT_EQ(RealisedVolatilityLast(x, ewma), 0.0);
  x[3] = 0.004;  // one different value in the window: no longer 0
  EXPECT_GT(RealisedVolatilityLast(x, VolAdjustSettings{}), 0.0);
}

// Spec §6.3 and §13: its scale factor is 0, so the fund gets no weight (it used to take the
// whole portfolio with a factor of ~1e16), with or without a volatility floor.
TEST(ConstantReturns, FundGetsNoWeight) {
  for (const char* vol : {"{target_vol: 0.10}", "{target_vol: 0.10, floor_vol: 0.02}"}) {
    const AnalysisResult r = Analyse(WithConstantFund(), SpecConfig({{"vol_adjust", vol}}));
    ASSERT_EQ(r.selected_funds.size(), 4u) << vol;
    EXPECT_EQ(WeightOf(r, "D"), 0.0) << vol;
    EXPECT_EQ(r.scale_factors[3], 0.0) << vol;
    double total = 0;
    for (double w : r.fund_weights) total += w;
    EXPECT_NEAR(total, 1.0, 1e-12) << vol;
    EXPECT_TRUE(std::isfinite(r.out_user_stats.cagr)) << vol;
  }
}

// In the fallback weight path (§7.7) the reference measures the portfolio's volatility on the
// scaled returns. Group caps that sum below 1 force the fallback; the weights are then the
// un-normalised base weights (1/3 each) and the factors target / max(vol, floor).
TEST(FallbackPath, PortfolioVolatilityUsesScaledReturns) {
  const AnalysisResult r =
      Analyse(kSpecReturns,
              SpecConfig({{"portfolio",
                           "{selection_mode: all, constraints: {groups: {A: g1, B: g2, C: g3}, "
                           "group_caps: {g1: 0.3, g2: 0.3, g3: 0.3}}}"}}));
  ASSERT_TRUE(r.used_fallback_weights);
  const Eigen::Index rows = static_cast<Eigen::Index>(r.in_dates.size());
  ASSERT_EQ(rows, 8);
  const Eigen::MatrixXd raw = (Eigen::MatrixXd(8, 3) << 0.02, 0.005, 0.05, 0.01, 0.007, -0.04,
                               -0.015, 0.002, 0.06, 0.03, -0.001, -0.02, 0.005, 0.004, 0.03, 0.012,
                               0.006, -0.05, -0.008, 0.003, 0.07, 0.018, 0.002, 0.01)
                                  .finished();
  VolAdjustSettings va;
  va.target_vol = 0.10;
  va.floor_vol = 0.02;
  Eigen::VectorXd scaled = Eigen::VectorXd::Zero(8), unscaled = Eigen::VectorXd::Zero(8);
  for (Eigen::Index j = 0; j < 3; ++j) {
    const double factor = 0.10 / std::max(RealisedVolatilityLast(raw.col(j), va), 0.02);
    EXPECT_NEAR(r.scale_factors[static_cast<std::size_t>(j)], factor, 1e-12);
    scaled += raw.col(j) * (factor / 3.0);
    unscaled += raw.col(j) / 3.0;
  }
  EXPECT_NEAR(r.portfolio_volatility_last, RealisedVolatilityLast(scaled, va), 1e-12);
  EXPECT_GT(std::abs(RealisedVolatilityLast(unscaled, va) - r.portfolio_volatility_last), 1e-3);
}

TEST(RiskFree, FallbackIsAWarningNamingBothKeys) {
  const AnalysisResult r =
      Analyse(kSpecReturns, SpecConfig({{"data", "{allow_risk_free_fallback: true}"}}));
  EXPECT_EQ(r.risk_free_source, "fallback");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            "data.risk_free_column is not set and data.allow_risk_free_fallback is true: 'RF', "
            "the lowest-volatility column, is used as the risk-free rate");
  const AnalysisResult configured = Analyse(kSpecReturns, SpecConfig());
  EXPECT_TRUE(configured.warnings.empty());
}

// An unknown scheme name falls back to equal weights as in the reference, with a warning; the
// names are case-sensitive there, so HRP is unknown too.
TEST(WeightingScheme, UnknownNameFallsBackWithAWarning) {
  for (const char* name : {"HRP", "score_prop_bayes"}) {
    const AnalysisResult r = Analyse(
        kSpecReturns,
        SpecConfig(
            {{"portfolio", std::string("{selection_mode: all, weighting_scheme: ") + name + "}"}}));
    ASSERT_TRUE(r.weight_engine_fallback.has_value()) << name;
    ASSERT_EQ(r.warnings.size(), 1u) << name;
    EXPECT_EQ(r.warnings[0].rfind(std::string("portfolio.weighting_scheme = '") + name +
                                      "' is not a weighting scheme",
                                  0),
              0u)
        << r.warnings[0];
  }
}

// The reference's execution-lag guard: data.as_of (else the split's out_end) may be at most
// data.max_lag_days after the latest row (kSpecReturns ends 2020-12-31).
TEST(StalenessGuard, MaxLagDaysAgainstAsOf) {
  const auto run = [](const std::string& data) {
    return Analyse(kSpecReturns, SpecConfig({{"data", data}}));
  };
  EXPECT_NO_THROW(run("{risk_free_column: RF, max_lag_days: 30, as_of: 2021-01-30}"));
  try {
    run("{risk_free_column: RF, max_lag_days: 30, as_of: 2021-01-31}");
    ADD_FAILURE() << "stale data accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "data.max_lag_days = 30: the data are stale: the latest row, 2020-12-31, is 31 "
              "days behind the as-of date 2021-01-31");
  }
  EXPECT_NO_THROW(run("{risk_free_column: RF, max_lag_days: 0, as_of: 2030-01-01}"));  // off
  // No as_of: the split's out_end, a month label read as its first day (2020-12-01).
  EXPECT_NO_THROW(run("{risk_free_column: RF, max_lag_days: 1}"));
}

}  // namespace
}  // namespace trend
