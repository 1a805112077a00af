#include "cli/run_command.hpp"
#include "cli/returns_input.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/progress_bar.hpp"
#include "cli/stop_signals.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "data/membership.hpp"
#include "error/input_error.hpp"
#include "jobs/distributed_periods.hpp"
#include "jobs/job_client.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/export_files.hpp"
#include "report/exports.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"
#include "report/multi_period_report.hpp"
#include "report/text_report.hpp"

namespace trend {
namespace {

void WriteJson(const std::string& path, const std::string& text) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      throw InputError("standard output: cannot write the JSON result");
    return;
  }
  WriteFile(path, text);  // whole or not at all; a full disk is an error naming the path
}

// Warnings of the config and of the run, printed once each on stderr, in order.
class Warnings {
 public:
  explicit Warnings(bool strict) : strict_(strict) {}

  void Add(const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) {
      if (std::find(all_.begin(), all_.end(), w) == all_.end()) all_.push_back(w);
    }
  }
  // Under --strict, any warning stops the run before it writes anything.
  void CheckStrict() const {
    if (!strict_ || all_.empty()) return;
    for (std::size_t i = 1; i < all_.size(); ++i)
      std::fprintf(stderr, "trend: warning: %s\n", all_[i].c_str());
    throw InputError(fmt::format(
        "--strict: {}{}", all_.front(),
        all_.size() > 1 ? fmt::format(" (and {} more warnings above)", all_.size() - 1) : ""));
  }
  void Print() {
    for (; printed_ < all_.size(); ++printed_)
      std::fprintf(stderr, "trend: warning: %s\n", all_[printed_].c_str());
  }
  // Adds `more`, stops under --strict, else prints what is new.
  void Settle(const std::vector<std::string>& more) {
    Add(more);
    CheckStrict();
    Print();
  }
  // The result document with the warnings in it, to --json's path.
  void WriteDocument(nlohmann::json doc, const std::string& path) const {
    if (path.empty()) return;
    doc["warnings"] = all_;
    WriteJson(path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  const std::vector<std::string>& all() const { return all_; }

 private:
  bool strict_;
  std::vector<std::string> all_;
  std::size_t printed_ = 0;
};

// The default path's periods on the workers, combined here: the same result as locally.
// nullopt: stopped by SIGINT or SIGTERM (the periods not done are revoked).
std::optional<MultiPeriodResult> RunPeriodsOnWorkers(const RunOptions& options,
                                                     const AnalysisSettings& settings,
                                                     const ReturnsInput& input,
                                                     const PeriodProgress& progress) {
  if (settings.data.universe_membership_path) {
    throw InputError(fmt::format(
        "{}: data.universe_membership_path is read on this machine only; --broker does not "
        "support it yet (run without --broker)",
        options.config_path));
  }
  jobs::PeriodsInput periods_input;
  periods_input.config_text = ReadTextFile(options.config_path, "config file");
  periods_input.config_name = options.config_path;
  periods_input.base_dir = std::filesystem::path(options.config_path).parent_path().string();
  periods_input.source = input.name;
  periods_input.seed = options.seed;
  const std::string csv = ReturnsCsvText(settings, options.returns_path, input);
  const RunGuard guard(options.limits);
  const StopSignals signals;
  jobs::JobClient client =
      jobs::ConnectJobClient(options.broker, options.backend, options.queue, &StopSignals::flag());
  jobs::DistributedPeriodsOptions spread;
  spread.queue = options.queue;
  spread.stop = &StopSignals::flag();
  spread.notice = [](const std::string& text) {
    std::fprintf(stderr, "\ntrend: %s\n", text.c_str());
  };
  std::optional<MultiPeriodResult> result =
      jobs::RunMultiPeriodOnWorkers(*client.broker, *client.backend, periods_input, csv,
                                    input.frame, settings, guard, spread, progress);
  if (!result) std::fprintf(stderr, "\ntrend: interrupted; nothing written\n");
  return result;
}

int RunMultiPeriodCommand(const RunOptions& options, const AnalysisSettings& settings,
                          ReturnsInput input, Warnings& warnings) {
  ReturnsFrame raw = input.frame;
  const std::string returns_path = input.name;
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
  std::optional<Membership> membership;
  if (settings.data.universe_membership_path)
    membership = LoadMembership(*settings.data.universe_membership_path);
  const RunGuard guard(options.limits);
  PipelineContext context;
  context.guard = &guard;
  const bool threshold_hold = settings.portfolio.policy == PortfolioPolicy::kThresholdHold;
  if (!options.broker.empty() && threshold_hold) {
    std::fprintf(stderr,
                 "trend: warning: --broker has no effect with portfolio.policy: threshold_hold: "
                 "each period starts from the holdings the previous one left, so the periods "
                 "run here, one after another\n");
  }
  const bool on_workers = !options.broker.empty() && !threshold_hold;
  std::optional<MultiPeriodResult> spread;
  if (on_workers) {
    spread = RunPeriodsOnWorkers(options, settings, input, progress);
    if (!spread) return 128 + StopSignals::signal();
  }
  const MultiPeriodResult result =
      on_workers ? std::move(*spread)
                 : AnalyseMultiPeriod(std::move(raw), settings, returns_path, context, progress,
                                      membership ? &*membership : nullptr);
  if (bar) bar->Finish();
  std::vector<std::string> skipped;
  for (const auto& s : result.skipped) {
    skipped.push_back(fmt::format("period {}..{} skipped: {}", FormatMonth(s.period.in_start),
                                  FormatMonth(s.period.out_end), s.reason));
  }
  warnings.Add(result.warnings);
  warnings.Settle(skipped);
  warnings.WriteDocument(MultiPeriodToJson(result), options.json_path);
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
  Warnings warnings(options.strict);
  warnings.Settle(ConfigWarnings(
      config, options.multi_period ? RunMode::kMultiPeriod : RunMode::kSinglePeriod));
  AnalysisSettings& settings = config.settings;
  if (options.seed) settings.seed = *options.seed;
  ReturnsInput input = LoadReturnsInput(settings, options.returns_path, options.config_path);
  const std::string returns_path = input.name;
  if (options.multi_period)
    return RunMultiPeriodCommand(options, settings, std::move(input), warnings);
  ReturnsFrame raw = std::move(input.frame);
  const RunGuard guard(options.limits);
  PipelineContext context;
  context.guard = &guard;
  const AnalysisResult result = AnalyseReturns(std::move(raw), settings, returns_path, context);
  warnings.Settle(result.warnings);
  warnings.WriteDocument(AnalysisToJson(result), options.json_path);
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
