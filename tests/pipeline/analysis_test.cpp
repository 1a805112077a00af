// End-to-end vectors of spec §12 and pipeline error messages.
#include "pipeline/analysis.hpp"

#include <gtest/gtest.h>

#include "error/input_error.hpp"
#include "test_inputs.hpp"

namespace trend {
namespace {

using testing::Analyse;
using testing::kSpecReturns;
using testing::SpecConfig;
using testing::WeightOf;

TEST(SpecCaseOne, SimpleWindowWeightsAndStats) {
  const AnalysisResult r = Analyse(kSpecReturns, SpecConfig());
  ASSERT_EQ(r.selected_funds, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_NEAR(WeightOf(r, "A"), 0.2689356285374406, 1e-12);
  EXPECT_NEAR(WeightOf(r, "B"), 0.6450251596934063, 1e-12);
  EXPECT_NEAR(WeightOf(r, "C"), 0.08603921176915315, 1e-12);
  EXPECT_NEAR(r.out_scaled(0, 0), 0.007338763984501665, 1e-15);
  EXPECT_NEAR(r.out_scaled(0, 2), -0.021008338545286206, 1e-15);
  EXPECT_NEAR(r.in_user_stats.cagr, 0.21104489725795594, 1e-12);
  EXPECT_NEAR(r.in_user_stats.sortino, 187.80331429904766, 1e-9);
  EXPECT_NEAR(r.out_user_stats.cagr, 0.11083126225753981, 1e-12);
  EXPECT_NEAR(r.out_user_stats.sharpe, 3.3338152251417936, 1e-10);
  EXPECT_NEAR(r.out_user_stats.max_drawdown, 0.0010860154653637988, 1e-14);
  EXPECT_NEAR(r.out_ew_stats.sharpe, 3.518740352458864, 1e-10);
  EXPECT_TRUE(std::isnan(r.out_ew_stats.sortino));  // no negative excess return
  EXPECT_NEAR(r.out_user_stats_raw.sortino, 100.04109242328713, 1e-8);
  EXPECT_NEAR(r.out_sample_stats[2].information_ratio, 0.1394456292960704, 1e-12);
  // Score frame: Sharpe against the RF series, Sortino against 0.
  EXPECT_NEAR(r.score_frame(1, 2), 3.048811279656452, 1e-12);
  EXPECT_NEAR(r.score_frame(1, 3), 21.391131151086707, 1e-10);
}

TEST(SpecCaseTwo, Ewma) {
  const AnalysisResult r =
      Analyse(kSpecReturns, SpecConfig({{"vol_adjust",
                                         "{target_vol: 0.10, floor_vol: 0.02, window: {length: 8, "
                                         "decay: ewma, lambda: 0.94}}"}}));
  EXPECT_NEAR(WeightOf(r, "A"), 0.2733212902074339, 1e-12);
  EXPECT_NEAR(r.out_user_stats.cagr, 0.11190242758955726, 1e-12);
  EXPECT_NEAR(r.out_user_stats.sharpe, 3.3549514921595915, 1e-10);
}

TEST(SpecCaseThree, MaxWeight) {
  const AnalysisResult r =
      Analyse(kSpecReturns,
              SpecConfig({{"portfolio", "{selection_mode: all, constraints: {max_weight: 0.4}}"}}));
  EXPECT_NEAR(WeightOf(r, "A"), 0.4, 1e-12);
  EXPECT_NEAR(WeightOf(r, "C"), 0.2, 1e-12);
  EXPECT_NEAR(r.out_user_stats.cagr, 0.10338135986190866, 1e-12);
  EXPECT_NEAR(r.out_user_stats.sharpe, 3.2034280262704704, 1e-10);
}

void ExpectInputError(const std::string& csv, const std::string& yaml, const std::string& message) {
  try {
    Analyse(csv, yaml);
    ADD_FAILURE() << "expected an InputError: " << message;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(PipelineErrors, InfeasibleMaxWeight) {
  ExpectInputError(
      kSpecReturns,
      SpecConfig({{"portfolio", "{selection_mode: all, constraints: {max_weight: 0.25}}"}}),
      "portfolio.constraints.max_weight = 0.25 is infeasible for 3 funds (needs >= 0.3333)");
}

// The reference ignores manual_list names that are not loaded columns; we do too, and say so.
TEST(ReferenceGaps, UnknownManualFundIsIgnoredWithAWarning) {
  const AnalysisResult r = Analyse(
      kSpecReturns, SpecConfig({{"portfolio", "{selection_mode: manual, manual_list: [A, Z]}"}}));
  EXPECT_EQ(r.selected_funds, (std::vector<std::string>{"A"}));
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"portfolio.manual_list: 'Z' is ignored: it is "
                                                  "not a column of the returns"}));
}

TEST(PipelineErrors, UnknownRiskFreeColumn) {
  ExpectInputError(
      kSpecReturns, SpecConfig({{"data", "{risk_free_column: T_BILL}"}}),
      "data.risk_free_column = 'T_BILL': no such column in the returns (columns: A, B, C, RF)");
}

TEST(PipelineErrors, NoRiskFree) {
  ExpectInputError(
      kSpecReturns, SpecConfig({{"data", "{}"}}),
      "no risk-free rate: set data.risk_free_column or enable data.allow_risk_free_fallback");
}

TEST(PipelineErrors, EmptyWindow) {
  ExpectInputError(
      kSpecReturns,
      SpecConfig({{"sample_split",
                   "{in_start: 2021-01, in_end: 2021-08, out_start: 2021-09, out_end: 2021-12}"}}),
      "sample_split: the in-sample window 2021-01-01 to 2021-08-31 has no rows (data covers "
      "2020-01..2020-12)");
}

TEST(PipelineErrors, UnknownSelectionMode) {
  ExpectInputError(kSpecReturns, SpecConfig({{"portfolio", "{selection_mode: best}"}}),
                   "portfolio.selection_mode = 'best': expected one of all, manual, random, rank");
}

TEST(WeightEngineFallback, UnknownSchemeUsesEqualBaseAndRecordsIt) {
  const AnalysisResult r = Analyse(
      kSpecReturns,
      SpecConfig({{"portfolio", "{selection_mode: all, weighting_scheme: score_prop_bayes}"}}));
  ASSERT_TRUE(r.weight_engine_fallback.has_value());
  EXPECT_EQ(r.weight_engine_fallback->engine, "score_prop_bayes");
  EXPECT_NEAR(WeightOf(r, "A"), 0.2689356285374406, 1e-12);
}

}  // namespace
}  // namespace trend
