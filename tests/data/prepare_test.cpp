// Missing-data layers, cadence detection and the month-end panel.
#include "data/prepare.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/csv_reader.hpp"
#include "data/resample.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

const char* kGapped =
    "Date,A,B,C\n"
    "2020-01-31,0.01,,0.01\n"
    "2020-02-29,0.02,0.01,\n"
    "2020-03-31,0.03,0.02,\n"
    "2020-04-30,0.04,0.03,\n"
    "2020-05-31,0.05,0.04,0.02\n";

TEST(LoadMissingPolicy, DropRemovesColumnsWithAnyGap) {
  ReturnsFrame f = ParseReturnsCsv(kGapped, "g.csv");
  const MissingReport report = ApplyLoadMissingPolicy(f, MissingPolicy{}, "g.csv");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"A"}));
  EXPECT_EQ(report.dropped, (std::vector<std::string>{"B", "C"}));
}

TEST(LoadMissingPolicy, FfillWithLimitBackfillsLeadingGapAndDropsLongRuns) {
  ReturnsFrame f = ParseReturnsCsv(kGapped, "g.csv");
  MissingPolicy p;
  p.default_policy = MissingPolicyKind::kFfill;
  p.default_limit = 2;
  ApplyLoadMissingPolicy(f, p, "g.csv");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"A", "B"}));  // C has a 3-month run
  EXPECT_EQ(f.values(0, 1), 0.01);                             // back-filled
}

TEST(LoadMissingPolicy, UnlimitedFfillFillsEveryGapAndReportsCounts) {
  ReturnsFrame f = ParseReturnsCsv(
      "Date,A,B\n2020-01-31,,0.01\n2020-02-29,0.02,\n2020-03-31,,\n2020-04-30,0.04,\n"
      "2020-05-31,,0.05\n",
      "g.csv");
  MissingPolicy p;
  p.default_policy = MissingPolicyKind::kFfill;
  const MissingReport report = ApplyLoadMissingPolicy(f, p, "g.csv");
  ASSERT_EQ(f.columns, (std::vector<std::string>{"A", "B"}));
  const std::vector<double> a = {0.02, 0.02, 0.02, 0.04, 0.04}, b = {0.01, 0.01, 0.01, 0.01, 0.05};
  for (Eigen::Index i = 0; i < 5; ++i) {
    EXPECT_EQ(f.values(i, 0), a[static_cast<std::size_t>(i)]) << i;
    EXPECT_EQ(f.values(i, 1), b[static_cast<std::size_t>(i)]) << i;
  }
  EXPECT_EQ(report.filled.at("A"), 3);
  EXPECT_EQ(report.filled.at("B"), 3);
  EXPECT_EQ(report.total_filled, 6);
}

TEST(LoadMissingPolicy, PerColumnOverride) {
  ReturnsFrame f = ParseReturnsCsv(kGapped, "g.csv");
  MissingPolicy p;
  p.per_column["C"] = MissingPolicyKind::kZero;
  ApplyLoadMissingPolicy(f, p, "g.csv");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ(f.values(1, 1), 0.0);
}

TEST(PanelMissingPolicy, FfillHasNoBackfill) {
  ReturnsFrame f = ParseReturnsCsv(kGapped, "g.csv");
  MissingPolicy p;
  p.default_policy = MissingPolicyKind::kFfill;
  ApplyPanelMissingPolicy(f, p, /*enforce_completeness=*/false);
  EXPECT_TRUE(std::isnan(f.values(0, 1)));
  EXPECT_EQ(f.values(3, 2), 0.01);
}

TEST(Frequency, DetectsCadences) {
  auto dates = [](std::initializer_list<const char*> texts) {
    std::vector<Date> out;
    for (auto t : texts) out.push_back(*ParseDate(t));
    return out;
  };
  EXPECT_EQ(DetectFrequency(dates({"2020-01-31", "2020-02-29", "2020-03-31"}), "x"),
            Frequency::kMonthly);
  EXPECT_EQ(DetectFrequency(dates({"2020-01-03", "2020-01-10", "2020-01-17"}), "x"),
            Frequency::kWeekly);
  EXPECT_EQ(DetectFrequency(dates({"2020-01-02", "2020-01-03", "2020-01-06"}), "x"),
            Frequency::kDaily);
  EXPECT_EQ(DetectFrequency(dates({"2020-03-31", "2020-06-30", "2020-09-30"}), "x"),
            Frequency::kQuarterly);
}

TEST(Frequency, IrregularDatesAreAnError) {
  std::vector<Date> d = {*ParseDate("2020-01-01"), *ParseDate("2020-01-02"),
                         *ParseDate("2020-03-01"), *ParseDate("2020-09-01"),
                         *ParseDate("2021-09-01")};
  EXPECT_THROW(DetectFrequency(d, "x"), InputError);
}

TEST(Prepare, WeeklyInputIsCompoundedToMonths) {
  const ReturnsFrame f = ParseReturnsCsv(
      "Date,A\n2020-01-03,0.01\n2020-01-10,0.01\n2020-01-17,0.01\n2020-01-24,0.01\n2020-01-31,0."
      "01\n"
      "2020-02-07,0.02\n",
      "w.csv");
  const PreparedReturns p = PrepareReturns(f, {}, "w.csv");
  EXPECT_EQ(p.input_frequency, Frequency::kWeekly);
  EXPECT_NEAR(p.monthly.values(0, 0), std::pow(1.01, 5) - 1.0, 1e-15);
}

TEST(Prepare, PricesAreRejected) {
  const ReturnsFrame f =
      ParseReturnsCsv("Date,A\n2020-01-31,101.5\n2020-02-29,102.0\n2020-03-31,99.0\n", "p.csv");
  try {
    PrepareReturns(f, {}, "p.csv");
    ADD_FAILURE() << "prices accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "p.csv: column 'A' does not look like decimal returns (median |x| 101.5, max |x| 102); "
        "supply periodic returns such as 0.012 for +1.2%, not prices");
  }
}

}  // namespace
}  // namespace trend
