// The threshold-hold pieces on small hand-made inputs (Rebalancer triggers, weight bounds, the
// schedule) and one test per D5 item on the reference-shaped 40-fund case.
#include "multiperiod/threshold_hold.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include <map>
#include <numeric>
#include <set>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "multiperiod/schedule.hpp"

namespace trend {
namespace {

using Names = std::vector<std::string>;

ThresholdHoldSettings Rules() {
  ThresholdHoldSettings r;
  r.z_exit_soft = -1.0;
  r.z_exit_hard = -2.0;
  r.z_entry_soft = 1.0;
  r.z_entry_hard = 2.0;
  r.soft_strikes = 2;
  r.entry_soft_strikes = 2;
  r.entry_eligible_strikes = 1;
  return r;
}

TEST(Rebalancer, HardExitLeavesAtOnce) {
  Rebalancer rb(Rules(), 3);
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B"}, {-2.5, 0.0}), (Names{"B"}));
}

TEST(Rebalancer, SoftExitNeedsConsecutiveStrikes) {
  Rebalancer rb(Rules(), 3);
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B"}, {-1.5, 0.0}), (Names{"A", "B"}));  // 1 strike
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B"}, {0.5, 0.0}), (Names{"A", "B"}));   // reset
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B"}, {-1.5, 0.0}), (Names{"A", "B"}));  // 1 again
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B"}, {-1.2, 0.0}), (Names{"B"}));       // 2: out
}

TEST(Rebalancer, HeldFundMissingFromScoresCountsAsZero) {
  Rebalancer rb(Rules(), 3);
  EXPECT_EQ(rb.ApplyTriggers({"A", "GONE"}, {"A"}, {0.0}), (Names{"A", "GONE"}));
}

TEST(Rebalancer, EntriesHardFirstThenAutomaticThenEligibleByZ) {
  Rebalancer rb(Rules(), 10);
  // Period 1: C and D reach one strike (eligible), E is a hard entry.
  EXPECT_EQ(rb.ApplyTriggers({"A"}, {"A", "C", "D", "E"}, {0.0, 1.2, 1.5, 2.5}),
            (Names{"A", "E", "D", "C"}));
}

TEST(Rebalancer, RoomIsLimitedByMaxFunds) {
  Rebalancer rb(Rules(), 3);
  EXPECT_EQ(rb.ApplyTriggers({"A", "B"}, {"A", "B", "C", "D"}, {0.0, 0.0, 1.1, 1.9}),
            (Names{"A", "B", "D"}));
}

TEST(Rebalancer, EntryStrikesResetWhenTheScoreFalls) {
  ThresholdHoldSettings rules = Rules();
  rules.entry_eligible_strikes = 2;  // two consecutive periods above the soft entry
  Rebalancer rb(rules, 10);
  EXPECT_EQ(rb.ApplyTriggers({"A"}, {"A", "C"}, {0.0, 1.5}), (Names{"A"}));
  EXPECT_EQ(rb.ApplyTriggers({"A"}, {"A", "C"}, {0.0, 0.5}), (Names{"A"}));       // reset
  EXPECT_EQ(rb.ApplyTriggers({"A"}, {"A", "C"}, {0.0, 1.5}), (Names{"A"}));       // 1
  EXPECT_EQ(rb.ApplyTriggers({"A"}, {"A", "C"}, {0.0, 1.5}), (Names{"A", "C"}));  // 2: in
}

TEST(WeightBounds, ClipsRaisesAndSpreadsTheDeficitByRoomBelowTheCap) {
  // {0, 0.1, 0.9} -> clip to 0.6 and raise to 0.05: {0.05, 0.1, 0.6}, sum 0.75; the 0.25
  // deficit goes to the funds below the cap in proportion to their room (0.55 and 0.5).
  const auto w = ApplyWeightBounds({0.0, 0.1, 0.9}, 0.05, 0.6);
  EXPECT_NEAR(w[0], 0.05 + 0.25 * 0.55 / 1.05, 1e-15);
  EXPECT_NEAR(w[1], 0.1 + 0.25 * 0.5 / 1.05, 1e-15);
  EXPECT_DOUBLE_EQ(w[2], 0.6);
  EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-12);
}

TEST(WeightBounds, TakesTheExcessFromFundsAboveTheFloor) {
  // {0.02, 0.5, 0.5}: raised to {0.05, 0.5, 0.5}, sum 1.05; the 0.05 excess comes from the
  // two funds above the floor in proportion to (w - 0.05).
  const auto w = ApplyWeightBounds({0.02, 0.5, 0.5}, 0.05, 0.6);
  EXPECT_DOUBLE_EQ(w[0], 0.05);
  EXPECT_NEAR(w[1], 0.475, 1e-15);
  EXPECT_NEAR(w[2], 0.475, 1e-15);
}

TEST(WeightBounds, InfeasibleBoundsDoNotSumToOne) {
  const auto w = ApplyWeightBounds({0.5, 0.5}, 0.05, 0.2);  // two funds at most 0.4
  EXPECT_DOUBLE_EQ(w[0], 0.2);
  EXPECT_DOUBLE_EQ(w[1], 0.2);
}

TEST(Firm, IsTheFirstWord) {
  EXPECT_EQ(FirmOf("Maple Systematic II"), "Maple");
  EXPECT_EQ(FirmOf("Solo"), "Solo");
}

TEST(Schedule, StepsByTheOutOfSampleLength) {
  MultiPeriodSettings s;
  s.frequency = PeriodFrequency::kMonthly;
  s.in_sample_len = 36;
  s.out_sample_len = 12;
  s.start_month = 2018 * 12;
  s.end_month = 2024 * 12 + 11;
  const auto periods = GeneratePeriods(s, 0, 0);
  ASSERT_EQ(periods.size(), 4u);
  EXPECT_EQ(PeriodDates(periods[0]),
            (Names{"2018-01-01", "2020-12-31", "2021-01-01", "2021-12-31"}));
  EXPECT_EQ(PeriodDates(periods[3])[3], "2024-12-31");
}

TEST(Schedule, QuarterlyBoundsSnapToQuarters) {
  MultiPeriodSettings s;
  s.frequency = PeriodFrequency::kQuarterly;
  s.in_sample_len = 8;
  s.out_sample_len = 1;
  s.start_month = 2006 * 12 + 1;  // 2006-02 lies in 2006Q1
  s.end_month = 2007 * 12 + 11;
  const auto periods = GeneratePeriods(s, 0, 0);
  ASSERT_EQ(periods.size(), 0u);  // 8 quarters in + 1 out do not fit in 2006-2007
  s.end_month = 2008 * 12 + 2;
  ASSERT_EQ(GeneratePeriods(s, 0, 0).size(), 1u);
  EXPECT_EQ(PeriodDates(GeneratePeriods(s, 0, 0)[0])[0], "2006-01-01");
}

// D5 on the golden 40-fund threshold-hold case with exits, low-weight strikes and 25 bp costs.
class D5ThresholdHold : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = std::string(TREND_GOLDEN_DIR) + "/cases/multi_threshold_hold_costs";
    config_ = new LoadedConfig(LoadConfigFile(dir + "/config.yml"));
    result_ = new MultiPeriodResult(AnalyseMultiPeriod(
        LoadReturnsCsv(config_->settings.data.csv_path), config_->settings, "returns.csv"));
    AnalysisSettings free = config_->settings;
    free.portfolio.transaction_cost_bps = 0;
    free_ = new MultiPeriodResult(
        AnalyseMultiPeriod(LoadReturnsCsv(free.data.csv_path), free, "returns.csv"));
  }
  static void TearDownTestSuite() {
    delete config_;
    delete result_;
    delete free_;
  }
  static LoadedConfig* config_;
  static MultiPeriodResult* result_;
  static MultiPeriodResult* free_;
};
LoadedConfig* D5ThresholdHold::config_ = nullptr;
MultiPeriodResult* D5ThresholdHold::result_ = nullptr;
MultiPeriodResult* D5ThresholdHold::free_ = nullptr;

TEST_F(D5ThresholdHold, ExitedFundsLeaveAndReturnOnlyWithAnAddedEvent) {
  std::set<std::string> held;
  int exits = 0;
  for (const auto& p : result_->periods) {
    std::set<std::string> added, dropped;
    for (const auto& c : p.manager_changes)
      (c.action == "added" ? added : dropped).insert(c.manager);
    exits += static_cast<int>(dropped.size());
    for (const auto& fund : p.analysis.selected_funds) {
      EXPECT_TRUE(held.count(fund) || added.count(fund))
          << fund << " is held in " << FormatMonth(p.period.out_start) << " without an added event";
    }
    held =
        std::set<std::string>(p.analysis.selected_funds.begin(), p.analysis.selected_funds.end());
  }
  EXPECT_GT(exits, 0);  // the case does exercise exits
}

TEST_F(D5ThresholdHold, CostsAreDeductedFromThePeriodsReturns) {
  ASSERT_EQ(result_->periods.size(), free_->periods.size());
  double total_cost = 0;
  for (std::size_t k = 0; k < result_->periods.size(); ++k) {
    const auto& paid = result_->periods[k];
    const auto& free = free_->periods[k];
    EXPECT_NEAR(paid.transaction_cost, paid.turnover * 25e-4, 1e-15);
    EXPECT_NEAR(paid.analysis.out_user[0], free.analysis.out_user[0] - paid.transaction_cost,
                1e-15);
    total_cost += paid.transaction_cost;
  }
  EXPECT_GT(total_cost, 0.0);
  EXPECT_LT(result_->summary.out_user.cagr, free_->summary.out_user.cagr);
}

TEST_F(D5ThresholdHold, ConstraintsBoundEveryPeriodsWeights) {
  const double cap = *config_->settings.portfolio.constraints.max_weight;
  for (const auto& p : result_->periods) {
    for (double w : p.analysis.fund_weights) EXPECT_LE(w, cap + 1e-12);
  }
}

TEST_F(D5ThresholdHold, SummaryWeightsAreAveragesOverThePeriods) {
  std::map<std::string, double> sum;
  for (const auto& p : result_->periods) {
    for (std::size_t i = 0; i < p.analysis.selected_funds.size(); ++i) {
      sum[p.analysis.selected_funds[i]] += p.analysis.fund_weights[i];
    }
  }
  double total = 0;
  for (const auto& f : result_->summary.funds) {
    EXPECT_NEAR(f.average_weight, sum[f.name] / static_cast<double>(result_->periods.size()),
                1e-15);
    total += f.average_weight;
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
}

}  // namespace
}  // namespace trend

namespace trend {
namespace {

// Six funds over 2015-2019 (firm names differ) plus MKT and RF; "Steady Income" never loses,
// so its Sortino ratio is undefined (NaN).
std::string SyntheticPanel() {
  std::string csv =
      "Date,Alpha Trend,Beta Macro,Cedar Quant,Dune Capital,Elm Futures,"
      "Steady Income,MKT,RF\n";
  for (int t = 0; t < 60; ++t) {
    const Date d = MonthEndFromIndex(2015 * 12 + t);
    csv += FormatDate(d);
    for (int k = 0; k < 5; ++k) {
      csv += fmt::format(",{:.6f}", 0.004 + 0.002 * k * std::sin(0.3 * t + k) +
                                        0.03 * std::sin(0.7 * t * (k + 1) + 1.3 * k));
    }
    csv += fmt::format(",{:.6f},{:.6f},{:.6f}\n", 0.006 + 0.002 * std::sin(0.5 * t),
                       0.01 * std::sin(0.4 * t), 0.001);
  }
  return csv;
}

MultiPeriodResult RunSynthetic(const std::string& extra_yaml) {
  const std::string yaml =
      "data: {risk_free_column: RF}\nbenchmarks: {mkt: MKT}\n"
      "multi_period: {frequency: M, in_sample_len: 24, out_sample_len: 12, start: 2015-01, end: "
      "2019-12}\n" +
      extra_yaml;
  const LoadedConfig config = ParseConfig(yaml, "test.yml", "");
  return AnalyseMultiPeriod(ParseReturnsCsv(SyntheticPanel(), "panel.csv"), config.settings,
                            "panel.csv");
}

double WeightIn(const AnalysisResult& r, const std::string& fund) {
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    if (r.selected_funds[i] == fund) return r.fund_weights[i];
  }
  return -1;
}

// score_prop_bayes on Sortino: the fund with a NaN score stays held at weight 0 (the weight
// policy drops it from the weighting and the bounds), as in the reference.
TEST(ThresholdHoldGaps, NaNScoreStaysHeldAtWeightZero) {
  const MultiPeriodResult r = RunSynthetic(
      "portfolio:\n  policy: threshold_hold\n  threshold_hold: {target_n: 4}\n"
      "  constraints: {max_funds: 5, min_weight: 0.05, max_weight: 0.6}\n"
      "  weighting: {name: score_prop_bayes, params: {column: Sortino}}\n");
  ASSERT_EQ(r.periods.size(), 3u);
  const AnalysisResult& first = r.periods[0].analysis;
  EXPECT_EQ(WeightIn(first, "Steady Income"), 0.0);  // held, weight 0
  double total = 0;
  for (double w : first.fund_weights) total += w;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

// A configured risk-free column that is also a benchmark: the reference runs; so do we.
TEST(ThresholdHoldGaps, RiskFreeColumnMayBeABenchmark) {
  const MultiPeriodResult r = RunSynthetic(
      "portfolio: {policy: threshold_hold, threshold_hold: {target_n: 3}}\n"
      "data: {risk_free_column: MKT}\n");
  ASSERT_FALSE(r.periods.empty());
  EXPECT_EQ(r.periods[0].analysis.risk_free_column, "MKT");
}

// The reference's pipeline re-runs the risk-free fallback inside each period's windows; the
// periods say "fallback" (they used to say "configured") and the run warns once.
TEST(ThresholdHoldGaps, RiskFreeFallbackIsThePeriodsOwn) {
  const std::string panel = SyntheticPanel();
  const LoadedConfig config = ParseConfig(
      "data: {allow_risk_free_fallback: true}\nbenchmarks: {mkt: MKT}\n"
      "portfolio: {policy: threshold_hold, threshold_hold: {target_n: 3}}\n"
      "multi_period: {frequency: M, in_sample_len: 24, out_sample_len: 12, start: 2015-01, "
      "end: 2019-12}\n",
      "test.yml", "");
  const MultiPeriodResult r =
      AnalyseMultiPeriod(ParseReturnsCsv(panel, "panel.csv"), config.settings, "panel.csv");
  ASSERT_EQ(r.periods.size(), 3u);
  for (const auto& p : r.periods) {
    EXPECT_EQ(p.analysis.risk_free_source, "fallback");
    EXPECT_EQ(p.analysis.risk_free_column, "RF");  // constant: the lowest volatility
  }
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("'RF', the lowest-volatility column"), std::string::npos);
  EXPECT_NE(r.warnings[0].find("(in 3 of 3 periods"), std::string::npos);
}

// A config error met in one period only stops the run; it is not a period to skip.
TEST(DefaultPathGaps, ConfigErrorInOnePeriodStopsTheRun) {
  // Steady Income has a gap in 2015, so the first period has one fund fewer: max_weight 0.3
  // is infeasible for its five funds only.
  std::string panel = SyntheticPanel();
  const std::size_t row = panel.find("2015-03-31");
  const std::size_t field = [&] {
    std::size_t at = row;
    for (int k = 0; k < 6; ++k) at = panel.find(',', at) + 1;  // Steady Income's value
    return at;
  }();
  panel.erase(field, panel.find(',', field) - field);
  const LoadedConfig config = ParseConfig(
      "data: {risk_free_column: RF, missing_policy: drop}\nbenchmarks: {mkt: MKT}\n"
      "portfolio: {selection_mode: all, constraints: {max_weight: 0.19}}\n"
      "multi_period: {frequency: M, in_sample_len: 24, out_sample_len: 12, start: 2015-01, "
      "end: 2019-12}\n",
      "test.yml", "");
  try {
    AnalyseMultiPeriod(ParseReturnsCsv(panel, "panel.csv"), config.settings, "panel.csv");
    ADD_FAILURE() << "ran with an infeasible max_weight";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "portfolio.constraints.max_weight = 0.19 is infeasible for 5 funds (needs >= 0.2)");
  }
}

// The default path passes portfolio.previous_weights to every period, so max_turnover caps
// the move away from them (spec §9.3); it used to act on nothing.
TEST(DefaultPathGaps, PreviousWeightsReachEveryPeriod) {
  const std::string base = "portfolio:\n  selection_mode: all\n  max_turnover: 0.2\n";
  const MultiPeriodResult without = RunSynthetic(base);
  const MultiPeriodResult with =
      RunSynthetic(base + "  previous_weights: {Alpha Trend: 0.5, Beta Macro: 0.5}\n");
  ASSERT_EQ(with.periods.size(), without.periods.size());
  for (std::size_t k = 0; k < with.periods.size(); ++k) {
    EXPECT_NEAR(with.periods[k].analysis.turnover_value, 0.2, 1e-12) << k;
    EXPECT_GT(without.periods[k].analysis.turnover_value, 0.9) << k;  // from nothing
  }
}

}  // namespace
}  // namespace trend
