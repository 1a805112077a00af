// Config and returns together through the whole engine: the input is a YAML config, a line
// "%%", then a returns CSV. Each run is bounded as the server bounds a request (small work
// limits, a deadline), and must end in a result or an InputError: never a crash, a NaN
// weight from a valid run, or a hang.
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find("\n%%\n");
  if (split == std::string_view::npos) return 0;
  trend::WorkLimits limits;
  limits.max_cells = 20'000;
  limits.max_pairwise_funds = 64;
  limits.max_periods = 120;
  const trend::RunGuard guard(limits, trend::RunGuard::Clock::now() + std::chrono::seconds(5));
  trend::PipelineContext context;
  context.guard = &guard;
  try {
    const trend::LoadedConfig config = trend::ParseConfig(input.substr(0, split), "fuzz.yml", "");
    trend::ReturnsFrame frame = trend::ParseReturnsCsv(input.substr(split + 4), "fuzz.csv");
    if (config.settings.multi_period) {
      (void)trend::AnalyseMultiPeriod(frame, config.settings, "fuzz.csv", context);
    }
    const trend::AnalysisResult result =
        trend::AnalyseReturns(std::move(frame), config.settings, "fuzz.csv", context);
    if (result.fund_weights.size() != result.selected_funds.size()) __builtin_trap();
  } catch (const trend::InputError&) {
  } catch (const trend::RunCancelled&) {
  }
  return 0;
}
