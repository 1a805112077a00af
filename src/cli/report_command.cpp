#include "cli/report_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cli/progress_bar.hpp"
#include "cli/returns_input.hpp"
#include "config/config_loader.hpp"
#include "data/membership.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/html_report.hpp"
#include "report/pdf_printer.hpp"

namespace trend {
namespace {

std::string Now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::fprintf(stderr, "trend: warning: %s\n", w.c_str());
}

}  // namespace

int ReportCommand(const ReportOptions& options) {
  const std::string extension = std::filesystem::path(options.output_path).extension().string();
  if (extension != ".html" && extension != ".htm" && extension != ".pdf") {
    throw InputError(fmt::format("-o {}: a report is .html or .pdf", options.output_path));
  }
  // Before the analysis: a missing browser is found now, not after a long backtest.
  if (extension == ".pdf" && !FindChromium()) {
    throw InputError(
        "-o " + options.output_path +
        ": a PDF is printed by headless Chromium, which is not installed (apt-get install "
        "chromium, or set TREND_CHROMIUM); -o report.html needs nothing");
  }
  LoadedConfig config = LoadConfigFile(options.config_path);
  AnalysisSettings& settings = config.settings;
  if (options.seed) settings.seed = *options.seed;
  const RunMode mode = options.multi_period ? RunMode::kMultiPeriod : RunMode::kSinglePeriod;
  ReportContext context;
  context.warnings = ConfigWarnings(config, mode);
  PrintWarnings(context.warnings);
  context.config_name = options.config_path;
  context.config_text = ReadTextFile(options.config_path, "config file");
  context.generated = Now();
  ReturnsInput input = LoadReturnsInput(settings, options.returns_path, options.config_path);
  context.dataset = input.name;
  const RunGuard guard(options.limits);
  PipelineContext pipeline;
  pipeline.guard = &guard;
  std::string html;
  if (options.multi_period) {
    if (!settings.multi_period) {
      throw InputError(
          fmt::format("{}: --multi-period needs a multi_period section", options.config_path));
    }
    std::optional<Membership> membership;
    if (settings.data.universe_membership_path)
      membership = LoadMembership(*settings.data.universe_membership_path);
    std::optional<ProgressBar> bar;
    const PeriodProgress progress = [&](std::size_t done, std::size_t total) {
      if (!bar && total >= 12) bar.emplace(total, "periods");
      if (bar) bar->Update(done);
    };
    const MultiPeriodResult result =
        AnalyseMultiPeriod(std::move(input.frame), settings, input.name, pipeline, progress,
                           membership ? &*membership : nullptr);
    if (bar) bar->Finish();
    PrintWarnings(result.warnings);
    context.title = "Multi-period backtest";
    html = HtmlReport(result, settings, context);
  } else {
    const AnalysisResult result =
        AnalyseReturns(std::move(input.frame), settings, input.name, pipeline);
    PrintWarnings(result.warnings);
    context.title = "Trend analysis";
    html = HtmlReport(result, settings, context);
  }
  WriteReportFile(html, options.output_path);
  std::fprintf(stderr, "trend: wrote %s\n", options.output_path.c_str());
  return 0;
}

}  // namespace trend
