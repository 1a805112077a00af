// A multi-period backtest spread over `trend worker` processes: on the default path each
// period's analysis depends on no other, so each is a trend.periods task; the client puts the
// analyses back in schedule order and combines them (turnover against the previous period,
// costs, summary) exactly as a local run does. The threshold-hold path carries holdings from
// period to period and stays local.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/returns_frame.hpp"
#include "jobs/broker.hpp"
#include "jobs/result_backend.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/run_guard.hpp"

namespace trend::jobs {

struct PeriodsInput {
  std::string config_text;  // the config file's text, parsed by each worker as here
  std::string config_name;  // its path as the user gave it: messages name it as locally
  std::string base_dir;
  std::string source;                 // the returns' name in messages (the path)
  std::optional<std::uint64_t> seed;  // --seed
};

// Worker side: periods [first, first + count) of the schedule. Returns {"periods": [...]},
// each {"analysis": base64 of EncodeAnalysis} or {"skipped": reason}. Throws InputError (a
// config or schedule error) and WorkLimitError.
nlohmann::json RunPeriodsChunk(const ReturnsFrame& frame, const PeriodsInput& input,
                               std::size_t first, std::size_t count, const WorkLimits& limits,
                               const std::function<void(std::size_t, std::size_t)>& progress);

struct DistributedPeriodsOptions {
  std::string queue = "trend";
  std::function<void(const std::string&)> notice;
  const std::atomic<bool>* stop = nullptr;
};

// Client side: every period of `schedule` on the workers, one task each. The analyses in
// schedule order, or fewer when stopped. Throws InputError for a task that failed.
std::vector<PeriodAnalysis> RunDistributedPeriods(
    Broker& broker, RedisResultBackend& backend, const PeriodsInput& input, const std::string& csv,
    std::size_t periods, const DistributedPeriodsOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress);

// Client side, whole: the schedule made and checked here first (a bad schedule or one over the
// guard's limits fails as locally), every period on the workers, then combined here. `frame`
// is what `csv` reads as. nullopt when stopped before every period was back.
std::optional<MultiPeriodResult> RunMultiPeriodOnWorkers(
    Broker& broker, RedisResultBackend& backend, const PeriodsInput& input, const std::string& csv,
    const ReturnsFrame& frame, const AnalysisSettings& settings, const RunGuard& guard,
    const DistributedPeriodsOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace trend::jobs
