// File exports: every requested format is written, and the workbook is a real xlsx package
// with the summary and returns sheets (libxlsxwriter is loaded on first use).
#include "report/exports.hpp"
#include "report/json_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../pipeline/test_inputs.hpp"
#include "config/config_loader.hpp"
#include "error/input_error.hpp"
#include "export_dir.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;
using ExportsTest = testing::ExportDirTest;

TEST_F(ExportsTest, WritesEveryFormatAndAWorkbookPackage) {
  const LoadedConfig config = ParseConfig(testing::SpecConfig(), "test.yml", "");
  const AnalysisResult result = testing::Analyse(testing::kSpecReturns, testing::SpecConfig());
  ExportSettings exports = config.settings.export_settings;
  exports.directory = dir_.string();
  exports.formats = {"csv", "json", "txt", "xlsx"};
  exports.filename = "analysis";
  const std::vector<std::string> written = WriteExports(result, config.settings, exports);
  EXPECT_EQ(written.size(), 6u);  // summary and metrics csv, summary and result json, txt, xlsx
  for (const auto& path : written) EXPECT_GT(fs::file_size(path), 0u) << path;
  // The JSON exports hold the result document and the summary table; csv and txt are pinned
  // byte for byte in pinned_outputs_test.cpp.
  EXPECT_EQ(nlohmann::json::parse(ReadFile(dir_ / "analysis_result.json")), AnalysisToJson(result));
  const auto summary = nlohmann::json::parse(ReadFile(dir_ / "analysis_summary.json"));
  ASSERT_TRUE(summary.is_array()) << summary.dump().substr(0, 200);
  // Equal weight, user weight, a blank separator row (as the reference's table), one per fund.
  ASSERT_EQ(summary.size(), 3u + result.selected_funds.size());
  EXPECT_EQ(summary[0]["Name"], "Equal Weight");
  EXPECT_EQ(summary[1]["Name"], "User Weight");
  EXPECT_TRUE(summary[2]["Name"].is_null());
  EXPECT_EQ(summary[3]["Name"], result.selected_funds[0]);

  const std::string xlsx = ReadFile(dir_ / "analysis.xlsx");
  ASSERT_GE(xlsx.size(), 4u);
  EXPECT_EQ(xlsx.substr(0, 4), std::string("PK\x03\x04", 4));  // a zip package
  // Entry names are stored uncompressed in the zip headers.
  EXPECT_NE(xlsx.find("xl/worksheets/sheet1.xml"), std::string::npos);
  EXPECT_NE(xlsx.find("xl/worksheets/sheet2.xml"), std::string::npos);
}

TEST_F(ExportsTest, UnwritableDirectoryIsAnInputError) {
  const LoadedConfig config = ParseConfig(testing::SpecConfig(), "test.yml", "");
  const AnalysisResult result = testing::Analyse(testing::kSpecReturns, testing::SpecConfig());
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  ExportSettings exports = config.settings.export_settings;
  exports.directory = (dir_ / "file" / "sub").string();
  exports.formats = {"xlsx"};
  EXPECT_THROW(WriteExports(result, config.settings, exports), InputError);
}

}  // namespace
}  // namespace trend
