#include "jobs/distributed_periods.hpp"

#include <fmt/format.h>

#include "config/config_loader.hpp"
#include "data/date.hpp"
#include "digest/sha256.hpp"
#include "error/input_error.hpp"
#include "jobs/analysis_codec.hpp"
#include "jobs/celery_message.hpp"
#include "jobs/scatter_gather.hpp"

namespace trend::jobs {

using nlohmann::json;

json RunPeriodsChunk(const ReturnsFrame& frame, const PeriodsInput& input, std::size_t first,
                     std::size_t count, const WorkLimits& limits,
                     const std::function<void(std::size_t, std::size_t)>& progress) {
  LoadedConfig config = ParseConfig(input.config_text, input.config_name, input.base_dir);
  AnalysisSettings& settings = config.settings;
  if (input.seed) settings.seed = *input.seed;
  if (!settings.multi_period) {
    throw InputError(
        fmt::format("{}: --multi-period needs a multi_period section", input.config_name));
  }
  // Files on the client's machine are not the worker's to read. (data.source is: the client
  // read it and sent the returns as the dataset.)
  if (settings.data.universe_membership_path) {
    throw InputError(input.config_name +
                     ": data.universe_membership_path is not supported by a distributed run");
  }
  const PreparedReturns data = PrepareMultiPeriodReturns(frame, settings, input.source);
  const RunGuard guard(limits);
  PipelineContext context;
  context.guard = &guard;
  const std::vector<Period> schedule = MultiPeriodSchedule(data, settings, context);
  if (first > schedule.size() || count > schedule.size() - first) {
    throw InputError(fmt::format("periods {}..{}: the schedule has {} periods", first,
                                 first + count - 1, schedule.size()));
  }
  json periods = json::array();
  for (std::size_t k = first; k < first + count; ++k) {
    const PeriodAnalysis a = AnalysePeriod(data, settings, schedule[k], context);
    periods.push_back(a.analysis ? json{{"analysis", Base64Encode(EncodeAnalysis(*a.analysis))}}
                                 : json{{"skipped", a.skipped}});
    if (progress) progress(k - first + 1, count);
  }
  return {{"periods", std::move(periods)}};
}

std::vector<PeriodAnalysis> RunDistributedPeriods(
    Broker& broker, RedisResultBackend& backend, const PeriodsInput& input, const std::string& csv,
    std::size_t periods, const DistributedPeriodsOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::string dataset = Sha256Hex(csv);
  backend.PutDataset(dataset, csv);
  std::vector<ScatterTask> tasks;
  for (std::size_t k = 0; k < periods; ++k) {
    ScatterTask t;
    t.task.id = MakeTaskId();
    t.task.task = "trend.periods";
    t.task.queue = options.queue;
    t.task.kwargs = {{"config", input.config_text},
                     {"config_name", input.config_name},
                     {"base_dir", input.base_dir},
                     {"source", input.source},
                     {"dataset", dataset},
                     {"first", k},
                     {"count", 1}};
    if (input.seed) t.task.kwargs["seed"] = *input.seed;
    t.what = fmt::format("period {} of {}", k + 1, periods);
    tasks.push_back(std::move(t));
  }
  ScatterOptions scatter;
  scatter.notice = options.notice;
  scatter.stop = options.stop;
  std::vector<PeriodAnalysis> out;
  out.reserve(periods);
  ScatterGather(
      broker, backend, std::move(tasks), scatter,
      [&](std::size_t, const json& result) {
        const json* list =
            result.is_object() && result.contains("periods") ? &result["periods"] : nullptr;
        if (!list || !list->is_array() || list->size() != 1)
          throw std::invalid_argument("the worker's result does not hold one period");
        const json& p = (*list)[0];
        PeriodAnalysis a;
        if (p.contains("analysis") && p["analysis"].is_string()) {
          a.analysis = DecodeAnalysis(Base64Decode(p["analysis"].get<std::string>()));
        } else if (p.contains("skipped") && p["skipped"].is_string()) {
          a.skipped = p["skipped"].get<std::string>();
        } else {
          throw std::invalid_argument("a period with neither an analysis nor a reason");
        }
        out.push_back(std::move(a));
      },
      [&](std::size_t done) {
        if (progress) progress(done, periods);
      });
  return out;
}

std::optional<MultiPeriodResult> RunMultiPeriodOnWorkers(
    Broker& broker, RedisResultBackend& backend, const PeriodsInput& input, const std::string& csv,
    const ReturnsFrame& frame, const AnalysisSettings& settings, const RunGuard& guard,
    const DistributedPeriodsOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress) {
  PipelineContext context;
  context.guard = &guard;
  const PreparedReturns data = PrepareMultiPeriodReturns(frame, settings, input.source);
  const std::vector<Period> schedule = MultiPeriodSchedule(data, settings, context);
  std::vector<PeriodAnalysis> analyses =
      RunDistributedPeriods(broker, backend, input, csv, schedule.size(), options, progress);
  if (analyses.size() < schedule.size()) return std::nullopt;
  return CombinePeriods(settings, schedule, std::move(analyses));
}

}  // namespace trend::jobs
