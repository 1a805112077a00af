#include "cli/run_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/progress_bar.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/exports.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"
#include "report/multi_period_report.hpp"
#include "report/text_report.hpp"

namespace trend {
namespace {

void WriteJson(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::ofstream out(path);
  if (!out) throw InputError(fmt::format("{}: cannot write the JSON result", path));
  out << text;
}

int RunMultiPeriodCommand(const RunOptions& options, const AnalysisSettings& settings,
                          ReturnsFrame raw, const std::string& returns_path) {
  if (!settings.multi_period) {
    throw InputError(
        fmt::format("{}: --multi-period needs a multi_period section (frequency, "
                    "in_sample_len, out_sample_len, start, end)",
                    options.config_path));
  }
  std::optional<ProgressBar> bar;
  const PeriodProgress progress = [&](std::size_t done, std::size_t total) {
    if (!bar && total >= 12 && !options.quiet) bar.emplace(total, "periods");
    if (bar) bar->Update(done);
  };
  const MultiPeriodResult result =
      AnalyseMultiPeriod(std::move(raw), settings, returns_path, {}, progress);
  if (bar) bar->Finish();
  for (const auto& skipped : result.skipped) {
    std::fprintf(stderr, "trend: warning: period %s..%s skipped: %s\n",
                 FormatMonth(skipped.period.in_start).c_str(),
                 FormatMonth(skipped.period.out_end).c_str(), skipped.reason.c_str());
  }
  if (!options.json_path.empty())
    WriteJson(options.json_path, MultiPeriodToJson(result).dump(2) + "\n");
  if (!options.no_export) {
    ExportSettings exports = settings.export_settings;
    if (!options.out_dir.empty()) exports.directory = options.out_dir;
    const auto written = WriteMultiPeriodExports(result, exports);
    if (!options.quiet && options.json_path != "-") {
      for (const auto& path : written) std::fprintf(stderr, "trend: wrote %s\n", path.c_str());
    }
  }
  if (!options.quiet && options.json_path != "-") {
    const std::string report = FormatMultiPeriodReport(result);
    std::fwrite(report.data(), 1, report.size(), stdout);
  }
  return 0;
}

}  // namespace

int RunCommand(const RunOptions& options) {
  LoadedConfig config = LoadConfigFile(options.config_path);
  for (const auto& warning : config.warnings)
    std::fprintf(stderr, "trend: warning: %s\n", warning.c_str());
  AnalysisSettings& settings = config.settings;
  if (options.seed) settings.seed = *options.seed;
  const std::string returns_path =
      options.returns_path.empty() ? settings.data.csv_path : options.returns_path;
  if (returns_path.empty()) {
    throw InputError(
        fmt::format("{}: data.csv_path is not set; pass --returns CSV", options.config_path));
  }
  CsvOptions csv;
  csv.date_column = settings.data.date_column;
  ReturnsFrame raw = LoadReturnsCsv(returns_path, csv);
  if (options.multi_period)
    return RunMultiPeriodCommand(options, settings, std::move(raw), returns_path);
  const AnalysisResult result = AnalyseReturns(std::move(raw), settings, returns_path);

  if (!options.json_path.empty()) WriteJson(options.json_path, AnalysisToJsonText(result) + "\n");
  if (!options.no_export) {
    ExportSettings exports = settings.export_settings;
    if (!options.out_dir.empty()) exports.directory = options.out_dir;
    const auto written = WriteExports(result, settings, exports);
    if (!options.quiet && options.json_path != "-") {
      for (const auto& path : written) std::fprintf(stderr, "trend: wrote %s\n", path.c_str());
    }
  }
  if (!options.quiet && options.json_path != "-") {
    const std::string summary = FormatTerminalSummary(result, settings);
    std::fwrite(summary.data(), 1, summary.size(), stdout);
  }
  return 0;
}

}  // namespace trend
