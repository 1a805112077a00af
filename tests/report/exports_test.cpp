// File exports: every requested format is written, and the workbook is a real xlsx package
// with the summary and returns sheets (libxlsxwriter is loaded on first use).
#include "report/exports.hpp"
#include "report/export_files.hpp"
#include "report/json_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <csignal>
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

// A write that fails half way (here the file-size limit stands in for a full disk) leaves the
// old file whole and no temporary behind; a device is written in place, its error named.
TEST_F(ExportsTest, WritesAreWholeOrNothing) {
  fs::create_directories(dir_);
  const fs::path target = dir_ / "result.json";
  WriteFile(target, "old");
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 1000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    WriteFile(target, std::string(5000, 'x'));
  } catch (const InputError& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  EXPECT_EQ(error.rfind(target.string() + ": cannot write the file: ", 0), 0u) << error;
  EXPECT_EQ(ReadFile(target), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  try {
    WriteFile("/dev/full", "x");
    ADD_FAILURE() << "/dev/full took the write";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/full: cannot write the file: No space left on device");
  }
  EXPECT_TRUE(fs::is_character_file("/dev/full"));  // written in place, not renamed over
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
