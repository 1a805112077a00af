// Constraints and turnover controls (spec §7.4-§7.5, test vectors of §12 case 3).
#include "weighting/constraints.hpp"

#include <gtest/gtest.h>

#include "weighting/vol_targeting.hpp"

namespace trend {
namespace {

TEST(MaxWeight, CapsAndRedistributesProportionally) {
  // Spec §12 case 3: weights proportional to the scale factors, capped at 0.4.
  Eigen::VectorXd w(3);
  w << 0.2689356285374406, 0.6450251596934063, 0.08603921176915315;
  ConstraintSettings c;
  c.max_weight = 0.4;
  const Eigen::VectorXd out = ApplyConstraints(w, {"A", "B", "C"}, c);
  EXPECT_NEAR(out[0], 0.4, 1e-12);
  EXPECT_NEAR(out[1], 0.4, 1e-12);
  EXPECT_NEAR(out[2], 0.2, 1e-12);
}

TEST(MaxWeight, InfeasibleCapIsAViolation) {
  Eigen::VectorXd w = Eigen::VectorXd::Constant(3, 1.0 / 3);
  EXPECT_THROW(ApplyMaxWeight(w, 0.25), ConstraintViolation);
}

TEST(LongOnly, AllZeroIsAViolation) {
  ConstraintSettings c;
  EXPECT_THROW(ApplyConstraints(Eigen::VectorXd::Constant(2, -0.5), {"A", "B"}, c),
               ConstraintViolation);
}

TEST(GroupCaps, ScaleGroupAndGiveExcessToOthers) {
  ConstraintSettings c;
  c.group_caps = {{"trend", 0.5}};
  c.groups = {{"A", "trend"}, {"B", "trend"}, {"C", "macro"}};
  Eigen::VectorXd w(3);
  w << 0.4, 0.4, 0.2;
  const Eigen::VectorXd out = ApplyConstraints(w, {"A", "B", "C"}, c);
  EXPECT_NEAR(out[0] + out[1], 0.5, 1e-12);
  EXPECT_NEAR(out[2], 0.5, 1e-12);
}

TEST(Turnover, PenaltyThenCap) {
  Eigen::VectorXd w(2);
  w << 0.8, 0.2;
  const NamedValues previous = {{"A", 0.2}, {"B", 0.8}};
  const auto blended = ApplyTurnoverControls(w, {"A", "B"}, previous, 0.5, std::nullopt);
  EXPECT_NEAR(blended.weights[0], 0.5, 1e-15);
  EXPECT_NEAR(blended.turnover, 0.6, 1e-15);
  const auto capped = ApplyTurnoverControls(w, {"A", "B"}, previous, std::nullopt, 0.4);
  EXPECT_NEAR(capped.turnover, 0.4, 1e-15);
  EXPECT_NEAR(capped.weights[0], 0.4, 1e-15);
}

TEST(VolTargeting, SpecCaseOneScaleFactors) {
  // Spec §12 case 1: population std of 8 months x sqrt(12), B floored at 0.02.
  Eigen::VectorXd a(8), b(8);
  a << 0.02, 0.01, -0.015, 0.03, 0.005, 0.012, -0.008, 0.018;
  b << 0.005, 0.007, 0.002, -0.001, 0.004, 0.006, 0.003, 0.002;
  VolAdjustSettings s;
  s.target_vol = 0.10;
  s.floor_vol = 0.02;
  EXPECT_NEAR(RealisedVolatilityLast(a, s), 0.047968739820845825, 1e-15);
  EXPECT_NEAR(RealisedVolatilityLast(b, s), 0.008306623862918075, 1e-15);
  EXPECT_NEAR(ScaleFactorFromVol(RealisedVolatilityLast(a, s), s), 2.084690996125416, 1e-12);
  EXPECT_EQ(ScaleFactorFromVol(RealisedVolatilityLast(b, s), s), 5.0);
  EXPECT_EQ(ScaleFactorFromVol(0.0, s), 0.0);  // zero vol is missing, not floored
}

TEST(VolTargeting, EwmaMatchesSpecCaseTwo) {
  Eigen::VectorXd a(8);
  a << 0.02, 0.01, -0.015, 0.03, 0.005, 0.012, -0.008, 0.018;
  VolAdjustSettings s;
  s.target_vol = 0.10;
  s.floor_vol = 0.02;
  s.decay = VolDecay::kEwma;
  s.ewma_lambda = 0.94;
  EXPECT_NEAR(ScaleFactorFromVol(RealisedVolatilityLast(a, s), s), 2.1331530341295055, 1e-12);
}

}  // namespace
}  // namespace trend
