// The text and CSV reports pinned byte for byte: the spec §12 single-period case and the demo's
// multi-period backtest (periods, contributions, equity curve, text report). Results are
// identical to the bit on every build, so any change here is a real change of numbers or
// layout. After an intended change: TREND_UPDATE_PINNED=1 build/release/tests/report_test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../pipeline/test_inputs.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "export_dir.hpp"
#include "multiperiod/multi_period.hpp"
#include "report/exports.hpp"
#include "report/multi_period_report.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

const fs::path kPinned = fs::path(TREND_SOURCE_DIR) / "tests/report/pinned";

using testing::ReadFile;

void ExpectPinned(const fs::path& written, const std::string& pinned_name) {
  const std::string ours = ReadFile(written);
  ASSERT_FALSE(ours.empty()) << written;
  if (std::getenv("TREND_UPDATE_PINNED") != nullptr) {
    std::ofstream(kPinned / pinned_name, std::ios::binary) << ours;
    return;
  }
  EXPECT_EQ(ours, ReadFile(kPinned / pinned_name)) << pinned_name << " changed";
}

using PinnedOutputs = testing::ExportDirTest;

TEST_F(PinnedOutputs, SinglePeriodReports) {
  const LoadedConfig config = ParseConfig(testing::SpecConfig(), "test.yml", "");
  const AnalysisResult result = testing::Analyse(testing::kSpecReturns, testing::SpecConfig());
  ExportSettings exports = config.settings.export_settings;
  exports.directory = dir_.string();
  exports.formats = {"csv", "txt"};
  exports.filename = "spec";
  WriteExports(result, config.settings, exports);
  for (const char* file : {"spec_summary.txt", "spec_summary.csv", "spec_metrics.csv"}) {
    ExpectPinned(dir_ / file, file);
  }
}

TEST_F(PinnedOutputs, MultiPeriodReports) {
  const LoadedConfig config = LoadConfigFile(std::string(TREND_SOURCE_DIR) + "/config/demo.yml");
  const MultiPeriodResult result = AnalyseMultiPeriod(LoadReturnsCsv(config.settings.data.csv_path),
                                                      config.settings, "demo.csv");
  ExportSettings exports = config.settings.export_settings;
  exports.directory = dir_.string();
  exports.formats = {"csv", "txt"};
  exports.filename = "demo";
  WriteMultiPeriodExports(result, exports);
  for (const char* file : {"demo_periods.csv", "demo_contributions.csv", "demo_equity_curve.csv",
                           "demo_execution.csv", "demo_multi_period.txt"}) {
    ExpectPinned(dir_ / file, file);
  }
  std::ofstream(dir_ / "terminal.txt") << FormatMultiPeriodReport(result);
  ExpectPinned(dir_ / "terminal.txt", "demo_terminal.txt");
}

}  // namespace
}  // namespace trend
