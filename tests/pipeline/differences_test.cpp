// One test per deliberate difference from the reference (D1-D4; D6 is in the config tests,
// D5 belongs to the multi-period engine). See docs/differences.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "data/prepare.hpp"
#include "multiperiod/multi_period.hpp"
#include "test_inputs.hpp"

namespace trend {
namespace {

using testing::Analyse;
using testing::kSpecReturns;
using testing::SpecConfig;

TEST(D1, DisabledVolAdjustMeansNoScalingAndNoTilt) {
  const AnalysisResult r =
      Analyse(kSpecReturns,
              SpecConfig({{"vol_adjust", "{enabled: false, target_vol: 0.10, floor_vol: 0.02}"}}));
  for (double f : r.scale_factors) EXPECT_EQ(f, 1.0);
  for (double w : r.fund_weights) EXPECT_NEAR(w, 1.0 / 3.0, 1e-15);
  // Scaled returns are the raw returns less the monthly cost.
  EXPECT_NEAR(r.out_scaled(0, 0), 0.004 - 0.001, 1e-15);
  EXPECT_NEAR(r.out_scaled(0, 2), -0.03 - 0.001, 1e-15);
}

TEST(D2, BenchmarkColumnsAreNeverFunds) {
  const AnalysisResult r = Analyse(kSpecReturns, SpecConfig({{"benchmarks", "{cta: C}"}}));
  EXPECT_EQ(r.selected_funds, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(r.benchmarks.size(), 1u);
  EXPECT_EQ(r.benchmarks[0].label, "cta");
  EXPECT_EQ(r.benchmarks[0].fund_ir.size(), 2u);
}

TEST(D3, SignalWindowLongerThanHistoryKeepsThePortfolio) {
  // The reference zeroes every weight when the window (63) exceeds the 8 in-sample months.
  const AnalysisResult r = Analyse(kSpecReturns, SpecConfig({{"signals", "{window: 63}"}}));
  const double total = std::accumulate(r.fund_weights.begin(), r.fund_weights.end(), 0.0);
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_GT(r.out_user_stats.cagr, 0.0);
}

TEST(D3, AFundStillLosesWeightWhenItFailsAConfiguredSignal) {
  // D varies, so it has a scale factor and a base weight, but its last two in-sample months
  // are equal: over a 2-month window its vol-adjusted signal divides by a zero std and is
  // undefined, so the weight policy drops it.
  const char* d_values[] = {"0.01",  "-0.02", "0.03", "0.00", "0.02",  "-0.01",
                            "0.004", "0.004", "0.01", "0.02", "-0.01", "0.01"};
  std::string csv;
  int row = -1;
  for (const char* p = kSpecReturns; *p != '\0'; ++row) {
    const char* end = std::strchr(p, '\n');
    std::string line(p, end);
    const auto rf = line.rfind(',');
    line.insert(rf, row < 0 ? std::string(",D") : std::string(",") + d_values[row]);
    csv += line + "\n";
    p = end + 1;
  }
  const AnalysisResult r =
      Analyse(csv, SpecConfig({{"signals", "{window: 2, vol_adjust: true}"},
                               {"vol_adjust", "{target_vol: 0.10, floor_vol: 0.02}"}}));
  ASSERT_EQ(r.selected_funds, (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_GT(r.scale_factors[3], 0.0);
  EXPECT_EQ(r.fund_weights[3], 0.0);
  EXPECT_NEAR(r.fund_weights[0] + r.fund_weights[1] + r.fund_weights[2], 1.0, 1e-12);
}

TEST(D4, EveryDailyRowIsCompoundedIntoItsMonth) {
  // Calendar-daily January 2021 with non-zero weekend returns, then February.
  std::string csv = "Date,F\n";
  double expected_january = 1.0;
  for (int day = 1; day <= 31; ++day) {
    csv += "2021-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day) + ",0.001\n";
    expected_january *= 1.001;
  }
  for (int day = 1; day <= 28; ++day) {
    csv += "2021-02-" + std::string(day < 10 ? "0" : "") + std::to_string(day) + ",-0.0005\n";
  }
  const PreparedReturns p = PrepareReturns(ParseReturnsCsv(csv, "daily.csv"), {}, "daily.csv");
  EXPECT_EQ(p.input_frequency, Frequency::kDaily);
  EXPECT_TRUE(p.resampled);
  ASSERT_EQ(p.monthly.rows(), 2u);
  EXPECT_EQ(FormatDate(p.monthly.dates[0]), "2021-01-31");
  EXPECT_NEAR(p.monthly.values(0, 0), expected_january - 1.0, 1e-15);
  EXPECT_NEAR(p.monthly.values(1, 0), std::pow(0.9995, 28) - 1.0, 1e-15);
}

TEST(D4, BusinessDayFilesAreAccepted) {
  std::string csv = "Date,F\n";
  for (int day = 1; day <= 31; ++day) {
    const Date d = DateFromCivil(2021, 3, day);
    if (Weekday(d) >= 5) continue;
    csv += FormatDate(d) + ",0.002\n";
  }
  const PreparedReturns p = PrepareReturns(ParseReturnsCsv(csv, "bdays.csv"), {}, "bdays.csv");
  EXPECT_EQ(p.input_frequency, Frequency::kDaily);
  EXPECT_NEAR(p.monthly.values(0, 0), std::pow(1.002, 23) - 1.0, 1e-15);
}

}  // namespace
}  // namespace trend

namespace trend {
namespace {

// kSpecReturns with a two-month gap in B (March and April 2020).
std::string WithGapInB() {
  std::string csv = testing::kSpecReturns;
  for (const char* month : {"2020-03-31,-0.015,0.002,", "2020-04-30,0.03,-0.001,"}) {
    const std::size_t at = csv.find(month);
    const std::size_t b = csv.find(',', csv.find(',', at) + 1) + 1;  // B's field
    csv.erase(b, csv.find(',', b) - b);
  }
  return csv;
}

std::string MultiPeriodConfig(const std::string& data) {
  return testing::SpecConfig({{"data", data}}) +
         "multi_period: {frequency: M, in_sample_len: 6, out_sample_len: 3, start: 2020-01, "
         "end: 2020-12}\n";
}

MultiPeriodResult AnalyseMulti(const std::string& csv, const std::string& yaml) {
  const LoadedConfig config = ParseConfig(yaml, "test.yml", "");
  return AnalyseMultiPeriod(ParseReturnsCsv(csv, "test.csv"), config.settings, "test.csv");
}

// D8: the reference raises on a forward-fill limit of 0 (pandas: "Limit must be greater than
// 0"); here it fills nothing, so a column with a gap goes as under drop.
TEST(D8, ForwardFillLimitZeroFillsNothing) {
  const AnalysisResult zero = testing::Analyse(
      WithGapInB(), testing::SpecConfig({{"data",
                                          "{risk_free_column: RF, missing_policy: ffill, "
                                          "missing_limit: 0}"}}));
  const AnalysisResult drop = testing::Analyse(
      WithGapInB(),
      testing::SpecConfig({{"data", "{risk_free_column: RF, missing_policy: drop}"}}));
  EXPECT_EQ(zero.selected_funds, (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ(zero.selected_funds, drop.selected_funds);
  EXPECT_EQ(zero.fund_weights, drop.fund_weights);
}

// D9: in multi-period runs the reference raises on load-level policy aliases ("both") and on a
// {"*": policy} mapping; here they mean what they mean at load time everywhere.
TEST(D9, MultiPeriodAcceptsPolicyAliasesAndDefaultMappings) {
  const auto weights = [](const MultiPeriodResult& r) {
    std::vector<std::vector<double>> out;
    for (const auto& p : r.periods) out.push_back(p.analysis.fund_weights);
    return out;
  };
  const MultiPeriodResult plain = AnalyseMulti(
      WithGapInB(), MultiPeriodConfig("{risk_free_column: RF, missing_policy: ffill}"));
  const MultiPeriodResult alias =
      AnalyseMulti(WithGapInB(), MultiPeriodConfig("{risk_free_column: RF, missing_policy: both}"));
  const MultiPeriodResult star = AnalyseMulti(
      WithGapInB(), MultiPeriodConfig("{risk_free_column: RF, missing_policy: {'*': ffill}}"));
  ASSERT_EQ(plain.periods.size(), 2u);
  EXPECT_EQ(plain.periods[0].analysis.selected_funds, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(weights(alias), weights(plain));
  EXPECT_EQ(weights(star), weights(plain));
}

// D9: a benchmark column missing from the file makes the reference's multi-period run raise;
// here the run goes on without it, and a warning says so.
TEST(D9, MissingBenchmarkColumnIsSkippedWithAWarning) {
  const MultiPeriodResult r =
      AnalyseMulti(testing::kSpecReturns,
                   MultiPeriodConfig("{risk_free_column: RF}") + "benchmarks: {tsx: TSX}\n");
  ASSERT_EQ(r.periods.size(), 2u);
  EXPECT_TRUE(r.periods[0].analysis.benchmarks.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            "benchmarks.tsx = 'TSX' is not a column of the returns; it is not reported (in 2 of 2 "
            "periods, first 2020-01..2020-09)");
}

}  // namespace
}  // namespace trend
