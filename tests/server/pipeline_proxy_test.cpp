// The pipeline proxy in both modes, with the intent of the reference's eight proxy tests
// (spec §10.5): overrides win in the default mode, fallbacks, failing scans, simple mode's
// direct binding and its cache across mode switches, the instrumentation, and the flag.
#include "server/pipeline_proxy.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"

namespace trend {
namespace {

// A module whose "run" marks its results, so a test can see which entry ran.
std::shared_ptr<PipelineModule> Marked(const std::string& name, const std::string& marker) {
  auto module = std::make_shared<PipelineModule>(name);
  PipelineEntry run;
  run.run = [marker](const PreparedReturns&, const AnalysisSettings&, const PipelineContext&) {
    AnalysisResult r;
    r.risk_free_column = marker;
    return r;
  };
  module->Set("run", std::move(run));
  return module;
}

std::string Marker(const ResolvedEntry& entry) {
  static const PreparedReturns kData;
  static const AnalysisSettings kSettings;
  return entry->run(kData, kSettings, PipelineContext{}).risk_free_column;
}

struct ProxyFixture : ::testing::Test {
  PipelineModuleRegistry registry{[] { return Marked("trend.pipeline", "package"); }};
  std::shared_ptr<const PipelineModule> package = registry.Package();
  bool simple = false;
  PipelineProxy proxy{registry, [this] { return simple; }};
};

TEST_F(ProxyFixture, DefaultModeHonoursAnOverrideInstalledAfterStartUp) {
  EXPECT_EQ(Marker(proxy.Resolve("run")), "package");
  registry.Install(Marked("override", "patched"));
  EXPECT_EQ(Marker(proxy.Resolve("run")), "patched");
  const auto log = proxy.DebugLog();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().entry, "run");
  EXPECT_FALSE(log.back().simple);
}

TEST_F(ProxyFixture, TheMostRecentlyInstalledOverrideWins) {
  registry.Install(Marked("first", "first"));
  const auto second = registry.Install(Marked("second", "second"));
  EXPECT_EQ(Marker(proxy.Resolve("run")), "second");
  registry.Remove(second);
  EXPECT_EQ(Marker(proxy.Resolve("run")), "first");
}

TEST_F(ProxyFixture, UnsetLiveModuleFallsBackToThePackage) {
  registry.SetLive(nullptr);
  EXPECT_EQ(Marker(proxy.Resolve("run")), "package");
}

TEST_F(ProxyFixture, LiveModuleWithoutTheEntryUsesThePackageEntry) {
  registry.SetLive(std::make_shared<PipelineModule>("empty"));
  EXPECT_EQ(Marker(proxy.Resolve("run")), "package");
  EXPECT_THROW(proxy.Resolve("no_such_entry"), std::out_of_range);
}

TEST_F(ProxyFixture, AFailingScanFallsBackToTheLiveModule) {
  registry.SetLive(Marked("base", "base"));
  registry.Install(Marked("override", "patched"));
  registry.SetScanner([]() -> std::vector<std::shared_ptr<const PipelineModule>> {
    throw std::runtime_error("scan failed");
  });
  EXPECT_EQ(Marker(proxy.Resolve("run")), "base");
}

TEST_F(ProxyFixture, SimpleModeBindsDirectlyIgnoresOverridesAndDoesNotScan) {
  registry.Install(Marked("override", "patched"));
  simple = true;
  const std::uint64_t scans = proxy.scans();
  const ResolvedEntry entry = proxy.Resolve("run");
  EXPECT_EQ(proxy.scans(), scans);
  EXPECT_EQ(Marker(entry), "package");  // the package pipeline, not the override
  const auto log = proxy.DebugLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log.back().simple);
  EXPECT_EQ(log.back().package_module_id, package->id());
}

TEST_F(ProxyFixture, SimpleModeResolvesOnceAndCaches) {
  simple = true;
  proxy.Resolve("run");
  proxy.Resolve("run");
  const auto log = proxy.DebugLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].module_id, log[1].module_id);
  EXPECT_TRUE(proxy.simple_cached());
}

TEST_F(ProxyFixture, SwitchingModesClearsAndRebuildsTheSimpleCache) {
  registry.Install(Marked("override", "patched"));
  simple = true;
  proxy.Resolve("run");
  simple = false;
  EXPECT_EQ(Marker(proxy.Resolve("run")), "patched");
  EXPECT_FALSE(proxy.simple_cached());
  simple = true;
  proxy.Resolve("run");
  const auto log = proxy.DebugLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_TRUE(log[0].simple);
  EXPECT_FALSE(log[1].simple);
  EXPECT_TRUE(log[2].simple);
  EXPECT_NE(log[0].module_id, log[2].module_id);  // a fresh binding after the switch
}

TEST_F(ProxyFixture, OnlyRunResolutionsAreRecorded) {
  proxy.Resolve("run");
  try {
    proxy.Resolve("run_multi_period");
  } catch (const std::out_of_range&) {
  }
  EXPECT_EQ(proxy.DebugLog().size(), 1u);
  EXPECT_EQ(proxy.DebugLog()[0].package_entry_id, package->Find("run")->id);
}

TEST(SimpleFlag, AcceptsTheReferenceSpellings) {
  for (const char* on : {"1", "true", "yes", "on", " TRUE ", "Yes\n", "On"}) {
    EXPECT_TRUE(ParseSimpleFlag(on)) << on;
  }
  for (const char* off : {"0", "", "no", "off", "false", "2", "enabled"}) {
    EXPECT_FALSE(ParseSimpleFlag(off)) << off;
  }
  EXPECT_FALSE(ParseSimpleFlag(nullptr));
}

// The built-in module's entries are the engine itself: on the demo they give the documents
// RunAnalysis and RunMultiPeriod give, and they use the registries they are handed.
TEST(BuiltinModule, RunsTheRealPipeline) {
  const auto module = MakeBuiltinPipelineModule();
  ASSERT_NE(module->Find("run"), nullptr);
  ASSERT_NE(module->Find("run_multi_period"), nullptr);
  const LoadedConfig config = LoadConfigFile(std::string(TREND_SOURCE_DIR) + "/config/demo.yml");
  const AnalysisSettings& s = config.settings;
  PrepareOptions options;
  options.load_policy = s.data.load_missing;
  options.panel_policy = s.preprocessing_missing;
  const PreparedReturns data = PrepareReturns(LoadReturnsCsv(s.data.csv_path), options, "demo");
  const PipelineContext registries;
  EXPECT_EQ(AnalysisToJson(module->Find("run")->run(data, s, registries)),
            AnalysisToJson(RunAnalysis(data, s, registries)));
  PreparedReturns multi_data =
      PrepareReturns(LoadReturnsCsv(s.data.csv_path), MultiPeriodPrepareOptions(s), "demo");
  multi_data.valid = ValidCounts(multi_data.monthly.values);
  const MultiPeriodResult multi =
      module->Find("run_multi_period")->multi(multi_data, s, registries);
  EXPECT_EQ(MultiPeriodToJson(multi), MultiPeriodToJson(RunMultiPeriod(multi_data, s, registries)));
  EXPECT_EQ(multi.periods.size(), 4u);
  // An empty selection registry reaches the pipeline: it cannot resolve "rank".
  SelectionRegistry none;
  PipelineContext empty{&none, registries.weighting};
  EXPECT_THROW(module->Find("run")->run(data, s, empty), InputError);
}

}  // namespace
}  // namespace trend
