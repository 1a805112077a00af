// A period's analysis crosses from worker to client as bytes: every field back, bit for bit,
// and bytes that are not an encoded analysis refused rather than misread.
#include "jobs/analysis_codec.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace trend::jobs {
namespace {

AnalysisResult Sample() {
  AnalysisResult r;
  r.in_dates = {DateFromCivil(2020, 1, 31), DateFromCivil(2020, 2, 29)};
  r.out_dates = {DateFromCivil(2020, 3, 31)};
  r.in_start_month = 1, r.in_end_month = 2, r.out_start_month = 3, r.out_end_month = 4;
  r.universe = {"A", "B", "C"};
  r.selected_funds = {"A", "C"};
  r.risk_free_column = "RF";
  r.risk_free_source = "fallback";
  r.accepted_indices = {"SPX"};
  r.fund_weights = {0.25, 0.75};
  r.ew_weights = {0.5, 0.5};
  r.weight_engine_fallback = WeightEngineFallback{"erc", "singular"};
  r.warnings = {"a warning"};
  r.scale_factors = {1.0 / 3.0, std::numeric_limits<double>::quiet_NaN()};
  r.asset_volatility_last = {0.1, 0.2};
  r.portfolio_volatility_last = 0.15;
  r.turnover_value = 0.4;
  r.used_fallback_weights = true;
  r.in_scaled = Eigen::MatrixXd::Random(2, 2);
  r.out_scaled = Eigen::MatrixXd::Random(1, 2);
  r.in_ew = Eigen::VectorXd::Random(2);
  r.out_user = Eigen::VectorXd::Random(1);
  r.in_sample_stats = {{0.1, 0.2, 0.3, 0.4, -0.5, 0.6}, {1, 2, 3, 4, 5, 6}};
  r.out_user_stats = {0.01, 0.02, 0.03, 0.04, -0.05, 0.06};
  r.benchmarks = {{"S&P", "SPX", {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}, {0.3, 0.4}, 0.5, 0.6}};
  r.score_metrics = {"Sharpe", "Volatility"};
  r.score_frame = Eigen::MatrixXd::Random(2, 2);
  RegimeTable regime;
  regime.cells = {{"User / Risk-On", 0.1, std::nullopt, -0.2, 0.6, 12}};
  r.regime = regime;
  r.input_frequency = Frequency::kDaily;
  r.resampled = true;
  return r;
}

TEST(AnalysisCodec, EveryFieldComesBack) {
  const AnalysisResult r = Sample();
  const std::string bytes = EncodeAnalysis(r);
  const AnalysisResult back = DecodeAnalysis(bytes);
  EXPECT_EQ(EncodeAnalysis(back), bytes);  // bit for bit, NaN included
  EXPECT_EQ(back.selected_funds, r.selected_funds);
  EXPECT_EQ(back.weight_engine_fallback->error, "singular");
  EXPECT_EQ(back.in_scaled, r.in_scaled);
  EXPECT_EQ(back.benchmarks[0].fund_ir, r.benchmarks[0].fund_ir);
  EXPECT_FALSE(back.regime->cells[0].sharpe.has_value());
  EXPECT_EQ(*back.regime->cells[0].hit_rate, 0.6);
  EXPECT_EQ(back.input_frequency, Frequency::kDaily);
  EXPECT_TRUE(back.resampled && back.used_fallback_weights);
  EXPECT_EQ(back.out_dates[0].days, r.out_dates[0].days);
}

TEST(AnalysisCodec, RefusesTruncatedOrForeignBytes) {
  const std::string bytes = EncodeAnalysis(Sample());
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THROW(DecodeAnalysis(bytes.substr(0, cut)), std::invalid_argument) << cut;
  }
  EXPECT_THROW(DecodeAnalysis(bytes + "x"), std::invalid_argument);
  std::string other = bytes;
  other[0] = 9;  // another version
  EXPECT_THROW(DecodeAnalysis(other), std::invalid_argument);
}

}  // namespace
}  // namespace trend::jobs
