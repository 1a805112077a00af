// Google Benchmark: the cost of reaching the pipeline through the proxy. A direct call of the
// built-in entry point against simple mode (bound once, no scan) and default mode with 1, 10
// and 100 registered modules, both on a trivial entry (the proxy's own overhead) and on the
// demo analysis (what a request pays).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "server/pipeline_proxy.hpp"

namespace trend {
namespace {

// A package whose "run" does almost nothing, so the proxy's own cost shows.
std::shared_ptr<const PipelineModule> TrivialPackage() {
  auto module = std::make_shared<PipelineModule>("trend.pipeline");
  PipelineEntry run;
  run.run = [](const PreparedReturns&, const AnalysisSettings&, const PipelineContext&) {
    return AnalysisResult{};
  };
  module->Set("run", std::move(run));
  return module;
}

const PreparedReturns& Demo(AnalysisSettings* settings) {
  static const LoadedConfig config =
      LoadConfigFile(std::string(TREND_SOURCE_DIR) + "/config/demo.yml");
  static const PreparedReturns data = [] {
    PrepareOptions options;
    options.load_policy = config.settings.data.load_missing;
    options.panel_policy = config.settings.preprocessing_missing;
    options.enforce_completeness = !config.settings.data.allow_risk_free_fallback;
    return PrepareReturns(LoadReturnsCsv(config.settings.data.csv_path), options, "demo.csv");
  }();
  *settings = config.settings;
  return data;
}

void BM_DirectCall(benchmark::State& state, bool demo) {
  AnalysisSettings settings;
  const PreparedReturns& data = demo ? Demo(&settings) : PreparedReturns{};
  const auto module = demo ? MakeBuiltinPipelineModule() : TrivialPackage();
  const RunEntry run = module->Find("run")->run;
  for (auto _ : state) benchmark::DoNotOptimize(run(data, settings, PipelineContext{}));
}

void BM_ProxyCall(benchmark::State& state, bool demo, bool simple) {
  AnalysisSettings settings;
  const PreparedReturns& data = demo ? Demo(&settings) : PreparedReturns{};
  PipelineModuleRegistry registry(
      demo ? PipelineModuleRegistry::ModuleFactory(MakeBuiltinPipelineModule)
           : PipelineModuleRegistry::ModuleFactory(TrivialPackage));
  // Registered modules without a different "run" (plugins adding models): scanned, not chosen.
  for (int i = 0; i < state.range(0); ++i) {
    registry.Install(std::make_shared<PipelineModule>("plugin" + std::to_string(i)));
  }
  PipelineProxy proxy(registry, [simple] { return simple; });
  for (auto _ : state) {
    const ResolvedEntry entry = proxy.Resolve("run");
    benchmark::DoNotOptimize(entry->run(data, settings, entry->registries));
  }
}

// Simple mode as deployed: the flag comes from the environment, read on every resolution.
void BM_ProxyCallEnvironmentFlag(benchmark::State& state) {
  setenv("TREND_PIPELINE_PROXY_SIMPLE", "1", 1);
  PipelineModuleRegistry registry(TrivialPackage);
  PipelineProxy proxy(registry);
  const PreparedReturns data;
  const AnalysisSettings settings;
  for (auto _ : state) {
    const ResolvedEntry entry = proxy.Resolve("run");
    benchmark::DoNotOptimize(entry->run(data, settings, entry->registries));
  }
  unsetenv("TREND_PIPELINE_PROXY_SIMPLE");
}

BENCHMARK_CAPTURE(BM_DirectCall, trivial, false);
BENCHMARK(BM_ProxyCallEnvironmentFlag);
BENCHMARK_CAPTURE(BM_ProxyCall, trivial_simple, false, true)->Arg(0);
BENCHMARK_CAPTURE(BM_ProxyCall, trivial_default, false, false)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_DirectCall, demo, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProxyCall, demo_simple, true, true)->Arg(0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProxyCall, demo_default, true, false)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace trend
BENCHMARK_MAIN();
