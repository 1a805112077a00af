// The contract every weighting scheme keeps (typed over the registry: weights sum to 1, are
// long-only and finite, and are deterministic), plus scheme-specific checks.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "weighting/weighting_scheme.hpp"

namespace trend {
namespace {

Eigen::MatrixXd RandomReturns(int rows, int cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> noise(0.005, 0.03);
  // A common market factor keeps the funds positively correlated, as trend funds are.
  Eigen::VectorXd market(rows);
  for (int i = 0; i < rows; ++i) market[i] = noise(gen);
  Eigen::MatrixXd r(rows, cols);
  for (int j = 0; j < cols; ++j) {
    const double scale = 0.5 + 0.25 * j;
    for (int i = 0; i < rows; ++i) r(i, j) = (0.6 * market[i] + noise(gen)) * scale;
  }
  return r;
}

class WeightingContract : public ::testing::TestWithParam<std::string> {};

TEST_P(WeightingContract, WeightsSumToOneLongOnlyAndDeterministic) {
  const auto scheme = BuiltinWeightingSchemes().Create(GetParam());
  ASSERT_NE(scheme, nullptr);
  for (unsigned seed : {1u, 2u, 3u}) {
    const Eigen::MatrixXd cov = SampleCovariance(RandomReturns(60, 7, seed));
    const Eigen::VectorXd w = scheme->Weights(cov);
    ASSERT_EQ(w.size(), 7);
    EXPECT_NEAR(w.sum(), 1.0, 1e-12);
    EXPECT_TRUE(w.allFinite());
    EXPECT_GE(w.minCoeff(), 0.0);
    EXPECT_LE(w.maxCoeff(), 1.0);
    EXPECT_EQ(w, scheme->Weights(cov));
  }
}

TEST_P(WeightingContract, SingleFundGetsEverything) {
  const auto scheme = BuiltinWeightingSchemes().Create(GetParam());
  const Eigen::MatrixXd cov = Eigen::MatrixXd::Constant(1, 1, 0.0004);
  EXPECT_NEAR(scheme->Weights(cov)[0], 1.0, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Registry, WeightingContract,
                         ::testing::ValuesIn(BuiltinWeightingSchemes().Names()),
                         [](const auto& param_info) { return param_info.param; });

TEST(RiskParity, InverseVolatility) {
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(2, 2);
  cov(0, 0) = 0.04;
  cov(1, 1) = 0.01;
  const Eigen::VectorXd w = BuiltinWeightingSchemes().Create("risk_parity")->Weights(cov);
  EXPECT_NEAR(w[0], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(w[1], 2.0 / 3.0, 1e-15);
}

TEST(EqualRiskContribution, EqualisesRiskContributions) {
  // The reference's fixed-point iteration stops after 1000 steps; contributions end far more
  // equal than under equal weights.
  const Eigen::MatrixXd cov = SampleCovariance(RandomReturns(80, 5, 9));
  auto spread = [&](const Eigen::VectorXd& w) {
    const Eigen::VectorXd rc = w.cwiseProduct(cov * w);
    return (rc.array() - rc.mean()).abs().maxCoeff() / rc.mean();
  };
  const Eigen::VectorXd w = BuiltinWeightingSchemes().Create("erc")->Weights(cov);
  const Eigen::VectorXd equal = Eigen::VectorXd::Constant(5, 0.2);
  EXPECT_LT(spread(w), 0.1 * spread(equal));
  EXPECT_LT(spread(w), 0.05);
}

TEST(SingleLinkage, OrdersCloseFundsTogether) {
  // 0 and 2 are close, 1 and 3 are close.
  Eigen::MatrixXd d(4, 4);
  d << 0, 0.9, 0.1, 0.8,  //
      0.9, 0, 0.85, 0.2,  //
      0.1, 0.85, 0, 0.7,  //
      0.8, 0.2, 0.7, 0;
  // Merges {0,2} (cluster 4), then {1,3} (cluster 5); the smaller id goes left.
  EXPECT_EQ(SingleLinkageLeafOrder(d), (std::vector<int>{0, 2, 1, 3}));
}

}  // namespace
}  // namespace trend
