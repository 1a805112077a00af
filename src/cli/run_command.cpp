#include "cli/run_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "pipeline/analysis.hpp"
#include "report/exports.hpp"
#include "report/json_report.hpp"
#include "report/text_report.hpp"

namespace trend {

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
  const AnalysisResult result = AnalyseReturns(std::move(raw), settings, returns_path);

  if (!options.json_path.empty()) {
    const std::string text = AnalysisToJsonText(result) + "\n";
    if (options.json_path == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      std::ofstream out(options.json_path);
      if (!out)
        throw InputError(fmt::format("{}: cannot write the JSON result", options.json_path));
      out << text;
    }
  }
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
