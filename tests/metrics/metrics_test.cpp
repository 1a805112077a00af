// Metric definitions against the reference's test vectors (spec §4.4) and edge cases.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics/score_metric.hpp"

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Eigen::VectorXd V(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double x : values) v[i++] = x;
  return v;
}

void ExpectClose(double actual, double expected) {
  EXPECT_NEAR(actual, expected, std::max(1e-12, 1e-12 * std::abs(expected)));
}

const Eigen::VectorXd kA = V({0.02, 0.03, -0.01});
const Eigen::VectorXd kB = V({0.01, 0.02, -0.02});

TEST(ScoreFrameVectors, ThreeMonthFundA) {
  Eigen::VectorXd scratch;
  ExpectClose(AnnualReturn(kA), 0.17028156620956114);
  ExpectClose(Volatility(kA), 0.07211102550927978);
  ExpectClose(SharpeOfExcess(kA), 2.361380454749573);
  ExpectClose(SortinoOfExcess(kA), 8.514078310478057);  // single downside: 0.17028 / (2 x 0.01)
  ExpectClose(MaxDrawdown(kA), 0.009999999999999898);
  ExpectClose(InformationRatioOfActive(kA), 2.2188007849009166);
}

TEST(ScoreFrameVectors, ThreeMonthFundB) {
  ExpectClose(AnnualReturn(kB), 0.03894004229748127);
  ExpectClose(Volatility(kB), 0.07211102550927978);
  ExpectClose(SharpeOfExcess(kB), 0.5400012275857896);
  ExpectClose(SortinoOfExcess(kB), 0.9735010574370317);
  ExpectClose(MaxDrawdown(kB), 0.020000000000000018);
  ExpectClose(InformationRatioOfActive(kB), 0.554700196225229);
}

const Eigen::VectorXd kSixA = V({0.02, 0.03, -0.01, 0.04, 0.02, 0.01});
const Eigen::VectorXd kSixB = V({0.01, 0.02, -0.02, -0.03, 0.02, 0.0});
const Eigen::VectorXd kRf = V({0.001, 0.001, 0.002, 0.002, 0.001, 0.0});

TEST(StatsAgainstRiskFree, SixMonthSeriesA) {
  const Stats s = ComputeStats(kSixA, kRf);
  ExpectClose(s.cagr, 0.2418094253288745);
  ExpectClose(s.vol, 0.05966573556070519);
  ExpectClose(s.sharpe, 3.76893710609426);
  ExpectClose(s.sortino, 9.368270875212433);
  ExpectClose(s.max_drawdown, 0.009999999999999898);
  ExpectClose(s.information_ratio, 3.4531498848491795);
}

TEST(StatsAgainstRiskFree, SixMonthSeriesB) {
  const Stats s = ComputeStats(kSixB, kRf);
  ExpectClose(s.cagr, -0.002210212588589222);
  ExpectClose(s.vol, 0.07266360849833979);
  ExpectClose(s.sharpe, -0.21788993972809154);
  ExpectClose(s.sortino, -0.661299855818426);
  ExpectClose(s.max_drawdown, 0.04940000000000011);
  ExpectClose(s.information_ratio, -0.1883177086292426);
  ExpectClose(SortinoOfExcess(kSixB), -0.09023155108532595);
}

TEST(AnnualReturn, TotalLossIsMinusOne) {
  EXPECT_EQ(AnnualReturn(V({-1.0, 0.5})), -1.0);
}

TEST(AnnualReturn, NaNRowCountsAsFlatPeriod) {
  ExpectClose(AnnualReturn(V({0.01, kNaN})), std::pow(1.01, 12.0 / 2.0) - 1.0);
}

TEST(EdgeCases, EmptySeries) {
  const Eigen::VectorXd empty(0);
  EXPECT_TRUE(std::isnan(AnnualReturn(empty)));
  EXPECT_TRUE(std::isnan(Volatility(empty)));
  EXPECT_TRUE(std::isnan(MaxDrawdown(empty)));
  EXPECT_TRUE(std::isnan(InformationRatioOfActive(empty)));
}

TEST(EdgeCases, OneRow) {
  const Eigen::VectorXd one = V({0.02});
  ExpectClose(AnnualReturn(one), std::pow(1.02, 12.0) - 1.0);
  EXPECT_TRUE(std::isnan(Volatility(one)));
  EXPECT_TRUE(std::isnan(SharpeOfExcess(one)));
  EXPECT_TRUE(std::isnan(InformationRatioOfActive(one)));
  EXPECT_EQ(MaxDrawdown(one), 0.0);
}

TEST(EdgeCases, AllNaN) {
  const Eigen::VectorXd nan = V({kNaN, kNaN, kNaN});
  EXPECT_EQ(AnnualReturn(nan), 0.0);  // every row is a flat period
  EXPECT_TRUE(std::isnan(Volatility(nan)));
  EXPECT_TRUE(std::isnan(SortinoOfExcess(nan)));
  EXPECT_TRUE(std::isnan(MaxDrawdown(nan)));
}

TEST(EdgeCases, ZeroVolatility) {
  const Eigen::VectorXd flat = V({0.01, 0.01, 0.01, 0.01});
  EXPECT_EQ(Volatility(flat), 0.0);
  EXPECT_TRUE(std::isnan(SharpeOfExcess(flat)));
  EXPECT_TRUE(std::isnan(SortinoOfExcess(flat)));  // no negative excess
  EXPECT_TRUE(std::isnan(InformationRatioOfActive(flat)));
}

TEST(MaxDrawdown, FirstPeriodLossIsNotADrawdown) {
  EXPECT_EQ(MaxDrawdown(V({-0.1, 0.05})), 0.0);
}

TEST(ScoreMetric, SharpeUsesRiskFreeOnlyWhenGiven) {
  Eigen::VectorXd scratch;
  const SeriesView rf(kRf);
  ExpectClose(EvaluateScoreMetric(ScoreMetric::kSharpe, kSixA, &rf, scratch), 3.76893710609426);
  ExpectClose(EvaluateScoreMetric(ScoreMetric::kSharpe, kSixA, nullptr, scratch),
              SharpeOfExcess(kSixA));
  EXPECT_TRUE(SmallerIsBetter(ScoreMetric::kMaxDrawdown));
  EXPECT_FALSE(SmallerIsBetter(ScoreMetric::kVolatility));
}

}  // namespace
}  // namespace trend
