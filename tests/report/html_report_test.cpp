// The HTML report: self-contained (no script, no address to fetch), the run's numbers in it,
// charts as SVG with axis titles and the split marker; the zip of several exports reads back.
#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "../pipeline/test_inputs.hpp"
#include "config/config_loader.hpp"
#include "error/input_error.hpp"
#include "export_dir.hpp"
#include "report/exports.hpp"
#include "report/pdf_printer.hpp"
#include "report/svg_chart.hpp"
#include "report/zip_archive.hpp"

namespace trend {
namespace {

using ReportFilesTest = testing::ExportDirTest;

TEST(HtmlReport, HoldsTheNumbersAndNeedsNoNetwork) {
  const LoadedConfig config = ParseConfig(testing::SpecConfig(), "test.yml", "");
  const AnalysisResult result = testing::Analyse(testing::kSpecReturns, testing::SpecConfig());
  ReportContext context;
  context.config_text = "portfolio:\n  weighting_scheme: <equal>\n";
  context.warnings = {"a warning & more"};
  const std::string html = HtmlReport(result, config.settings, context);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"),
            html.find("http://www.w3.org/2000/svg"));  // the SVG namespace only
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find(FormatAxisValue(result.out_user_stats.cagr, AxisUnit::kPercent, 2)),
            std::string::npos);
  EXPECT_NE(html.find("Rolling 12-month Sharpe"), std::string::npos);
  EXPECT_NE(html.find("out of sample →"), std::string::npos);  // the split marker
  EXPECT_NE(html.find("a warning &amp; more"), std::string::npos);
  EXPECT_NE(html.find("&lt;equal&gt;"), std::string::npos);  // the config, escaped
  EXPECT_NE(html.find("id=\"funds\""), std::string::npos);
}

TEST(HtmlReport, DrawdownsAreNegativeEverywhere) {
  EXPECT_EQ(FormatAxisValue(-0.1234, AxisUnit::kPercent, 2), "-12.34%");
  EXPECT_EQ(FormatAxisValue(0.0015, AxisUnit::kBasisPoints, 1), "15.0 bps");
  LineChart chart;
  chart.title = "t";
  chart.x_labels = {"2020-01", "2020-02"};
  chart.series = {{"Portfolio", {1, 2}, "#000"}, {"Equal weight", {1, 2}, "#111"}};
  const std::string svg = RenderLineChart(chart);
  // Identical series: both drawn, the second dashed over the first.
  EXPECT_NE(svg.find("stroke=\"#000\""), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"6 3\""), std::string::npos);
  EXPECT_LT(svg.find("stroke=\"#000\""), svg.find("stroke=\"#111\""));
}

TEST_F(ReportFilesTest, ZipsSeveralExportsAndRefusesOtherReportTypes) {
  const LoadedConfig config = ParseConfig(testing::SpecConfig(), "test.yml", "");
  const AnalysisResult result = testing::Analyse(testing::kSpecReturns, testing::SpecConfig());
  ExportSettings exports = config.settings.export_settings;
  exports.directory = dir_.string();
  exports.formats = {"csv"};
  const auto written = WriteExports(result, config.settings, exports);
  ASSERT_GE(written.size(), 2u);
  const std::string zip =
      ZipFiles(std::vector<std::filesystem::path>(written.begin(), written.end()));
  ASSERT_GT(zip.size(), 22u);
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));  // a local file header
  for (const auto& path : written) {
    EXPECT_NE(zip.find(std::filesystem::path(path).filename().string()), std::string::npos);
  }
  EXPECT_THROW(WriteReportFile("<html></html>", dir_ / "report.docx"), InputError);
  WriteReportFile("<html></html>", dir_ / "report.html");
  EXPECT_EQ(testing::ReadFile(dir_ / "report.html"), "<html></html>");
}

TEST_F(ReportFilesTest, APdfWithoutABrowserIsAClearError) {
  ::setenv("TREND_CHROMIUM", "/nonexistent/chromium", 1);
  try {
    WriteReportFile("<html></html>", dir_ / "report.pdf");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("headless Chromium"), std::string::npos) << e.what();
  }
  ::unsetenv("TREND_CHROMIUM");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "report.pdf"));
}

}  // namespace
}  // namespace trend
