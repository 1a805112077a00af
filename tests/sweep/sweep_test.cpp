// Sweeps: grid files are validated with exact messages, invalid values fail their rows only,
// rows arrive in configuration order, and results are identical at any thread count.
#include "sweep/sweep.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/config_loader.hpp"
#include "config/sweep_grid.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

const std::string kDemoConfig = std::string(TREND_SOURCE_DIR) + "/config/demo.yml";

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trend_sweep_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Grid(const std::string& text) {
    const fs::path path = dir_ / "grid.yml";
    std::ofstream(path) << text;
    return path.string();
  }
  std::string ErrorOf(const std::string& text) {
    const std::string path = Grid(text);
    try {
      LoadSweepGrid(path, kDemoConfig);
    } catch (const InputError& e) {
      std::string message = e.what();
      return message.substr(message.find("grid.yml"));
    }
    return "no error";
  }
  static PreparedReturns Demo(const AnalysisSettings& s) {
    PrepareOptions options;
    options.load_policy = s.data.load_missing;
    options.panel_policy = s.preprocessing_missing;
    options.enforce_completeness = !s.data.allow_risk_free_fallback;
    return PrepareReturns(LoadReturnsCsv(s.data.csv_path), options, "demo.csv");
  }
  fs::path dir_;
};

TEST_F(SweepTest, GridErrorsNameTheFileLineAndKey) {
  EXPECT_EQ(ErrorOf("portfolio.rank.nn: [1, 2]\n"),
            "grid.yml line 1: unknown config key 'portfolio.rank.nn'; did you mean "
            "'portfolio.rank.n'?");
  EXPECT_EQ(ErrorOf("vol_adjust.target_vol: [0.1]\nportfolio.rank.n: []\n"),
            "grid.yml line 2: portfolio.rank.n: the list is empty; give at least one value");
  EXPECT_EQ(ErrorOf("portfolio.rank.n: 5\n"),
            "grid.yml line 1: portfolio.rank.n: expected a list of values, e.g. [5, 10, 20]");
  EXPECT_EQ(ErrorOf("mode: walk\nportfolio.rank.n: [5]\n"),
            "grid.yml line 1: mode = 'walk': expected single_period or multi_period");
  const std::string not_sweepable =
      "grid.yml line 1: 'data.csv_path' cannot be swept (the returns are loaded once per "
      "sweep); sweepable keys: seed, vol_adjust.enabled, ";
  EXPECT_EQ(ErrorOf("data.csv_path: [a.csv]\n").substr(0, not_sweepable.size()), not_sweepable);
}

TEST_F(SweepTest, InvalidValuesFailOnlyTheirRows) {
  const LoadedConfig base = LoadConfigFile(kDemoConfig);
  const SweepGrid grid = LoadSweepGrid(
      Grid("portfolio.rank.n: [3, x, 5]\nvol_adjust.target_vol: [0.1, 0.2]\n"), kDemoConfig);
  ASSERT_EQ(grid.size(), 6u);
  EXPECT_EQ(grid.axes[0].values[1].error.substr(grid.axes[0].values[1].error.find("grid.yml")),
            "grid.yml line 1: portfolio.rank.n = 'x': expected a number");
  std::vector<SweepRow> rows;
  RunSweep(Demo(base.settings), base.settings, grid, {},
           [&](const SweepRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].index, i);
    EXPECT_EQ(rows[i].error.empty(), rows[i].coordinates[0] != 1) << i;
  }
  EXPECT_GT(rows[0].out_user.cagr, 0.0);
}

TEST_F(SweepTest, ResultsAreIdenticalAtOneAndTwoThreads) {
  const LoadedConfig base = LoadConfigFile(kDemoConfig);
  const SweepGrid grid = LoadSweepGrid(
      Grid("portfolio.rank.n: [3, 5, 8]\nportfolio.weighting_scheme: [equal, hrp, erc]\n"
           "vol_adjust.target_vol: [0.08, 0.12]\nportfolio.selection_mode: [rank, random]\n"
           "seed: [1, 2]\n"),
      kDemoConfig);
  const PreparedReturns data = Demo(base.settings);
  std::vector<SweepRow> one, two;
  SweepOptions options;
  options.block = 7;  // several ordered batches
  options.threads = 1;
  RunSweep(data, base.settings, grid, options, [&](const SweepRow& r) { one.push_back(r); });
  options.threads = 2;
  RunSweep(data, base.settings, grid, options, [&](const SweepRow& r) { two.push_back(r); });
  ASSERT_EQ(one.size(), grid.size());
  ASSERT_EQ(two.size(), grid.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].index, i);
    EXPECT_EQ(two[i].index, i);
    EXPECT_EQ(one[i].error, two[i].error);
    // Bit for bit, NaN included.
    EXPECT_EQ(std::memcmp(&one[i].out_user, &two[i].out_user, sizeof(Stats)), 0) << i;
  }
}

TEST_F(SweepTest, MultiPeriodModeReportsTurnoverAndCosts) {
  const LoadedConfig base = LoadConfigFile(kDemoConfig);
  const SweepGrid grid = LoadSweepGrid(
      Grid("mode: multi_period\nportfolio.transaction_cost_bps: [0, 50]\n"), kDemoConfig);
  ASSERT_TRUE(grid.multi_period);
  const PreparedReturns data = PrepareReturns(LoadReturnsCsv(base.settings.data.csv_path),
                                              MultiPeriodPrepareOptions(base.settings), "demo.csv");
  std::vector<SweepRow> rows;
  RunSweep(data, base.settings, grid, {}, [&](const SweepRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].periods, 4u);
  EXPECT_EQ(rows[0].transaction_cost, 0.0);
  EXPECT_NEAR(rows[1].transaction_cost, rows[1].turnover * 4 * 50e-4, 1e-12);
  EXPECT_LT(rows[1].out_user.cagr, rows[0].out_user.cagr);
}

// Amdahl's law fitted to timings made by a known parallel fraction recovers it, and timings
// with no speedup give P = 0.
TEST(Scaling, FitRecoversTheParallelFraction) {
  for (const double p : {0.0, 0.5, 0.9, 1.0}) {
    ScalingReport report;
    for (std::size_t n = 1; n <= 8; ++n) {
      const double seconds = 10.0 * ((1.0 - p) + p / static_cast<double>(n));
      report.points.push_back({n, seconds, 0, 0});
    }
    FitAmdahl(report);
    EXPECT_NEAR(report.parallel_fraction, p, 1e-12) << p;
    EXPECT_NEAR(report.points[3].speedup, 1.0 / ((1.0 - p) + p / 4.0), 1e-12);
    EXPECT_NEAR(report.points[3].efficiency, report.points[3].speedup / 4.0, 1e-12);
    EXPECT_NEAR(report.PredictedSpeedup(16), 1.0 / ((1.0 - p) + p / 16.0), 1e-9);
  }
  ScalingReport slower;  // more threads made it slower: clamped to 0
  slower.points = {{1, 1.0, 0, 0}, {2, 1.5, 0, 0}};
  FitAmdahl(slower);
  EXPECT_EQ(slower.parallel_fraction, 0.0);
}

TEST_F(SweepTest, ScalingMeasuresEveryThreadCount) {
  const LoadedConfig base = LoadConfigFile(kDemoConfig);
  const SweepGrid grid = LoadSweepGrid(
      Grid("portfolio.rank.n: [3, 5, 8, 10]\nvol_adjust.target_vol: [0.08, 0.1]\n"), kDemoConfig);
  const ScalingReport report = MeasureScaling(Demo(base.settings), base.settings, grid, 8, 2, 1);
  ASSERT_EQ(report.points.size(), 2u);
  EXPECT_EQ(report.configurations, 8u);
  EXPECT_EQ(report.points[1].threads, 2u);
  EXPECT_GT(report.points[0].seconds, 0.0);
}

// Each configuration's keys that have no effect travel with its row.
TEST_F(SweepTest, RowsCarryTheirNoEffectWarnings) {
  const LoadedConfig base = LoadConfigFile(kDemoConfig);  // vol_adjust.enabled: false
  const SweepGrid grid = LoadSweepGrid(
      Grid("vol_adjust.enabled: [true, false]\nvol_adjust.target_vol: [0.08]\n"), kDemoConfig);
  std::vector<SweepRow> rows;
  RunSweep(Demo(base.settings), base.settings, grid, {},
           [&](const SweepRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].warnings.empty());
  ASSERT_EQ(rows[1].warnings.size(), 1u);
  EXPECT_NE(rows[1].warnings[0].find("vol_adjust.target_vol has no effect: it needs "
                                     "vol_adjust.enabled: true"),
            std::string::npos)
      << rows[1].warnings[0];
}

}  // namespace
}  // namespace trend
