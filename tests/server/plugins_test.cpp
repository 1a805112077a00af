// Plugins: the example plugin loads from TREND_PLUGIN_PATH-style lists, its weighting scheme is
// used by runs in the default proxy mode, and simple mode (the built-in pipeline) does not see
// it. Bad plugin paths are errors naming the library.
#include "server/plugins.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/api.hpp"
#include "test_files.hpp"

namespace trend {
namespace {

using nlohmann::json;

HttpResponse RunDemo(TrendApi& api, const std::string& scheme) {
  const std::string config =
      "data: {allow_risk_free_fallback: true}\n"
      "vol_adjust: {enabled: false}\n"
      "sample_split: {in_start: 2015-01, in_end: 2022-12, out_start: 2023-01, out_end: 2024-12}\n"
      "portfolio: {selection_mode: rank, weighting_scheme: " +
      scheme + ", rank: {inclusion_approach: top_n, n: 5, score_by: Sharpe}}\n";
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/runs";
  request.content_type = "application/json";
  request.body = json{{"config", config}, {"csv", testing::DemoReturnsCsv()}}.dump();
  return api.Route(request).handle(request);
}

TEST(Plugins, TheExamplePluginAddsAWeightingSchemeInDefaultModeOnly) {
  PipelineModuleRegistry modules;
  const auto loaded = LoadPlugins(TREND_EXAMPLE_PLUGIN, modules);
  ASSERT_EQ(loaded.size(), 1u);
  bool simple = false;
  ApiOptions options;
  options.simple_flag = [&simple] { return simple; };
  TrendApi api(options, modules);

  // By name: the plugin answers the selection/weighting lookups; "run", which it does not
  // override, stays the package's.
  PipelineProxy proxy(modules, [] { return false; });
  EXPECT_EQ(proxy.Resolve("run").module().name(), "trend.pipeline");
  EXPECT_EQ(proxy.Resolve("registries").module().name(),
            "plugin:" + std::string(TREND_EXAMPLE_PLUGIN)
                            .substr(std::string(TREND_EXAMPLE_PLUGIN).rfind('/') + 1));

  const HttpResponse with_plugin = RunDemo(api, "inverse_variance");
  ASSERT_EQ(with_plugin.status, 200) << with_plugin.payload();
  const json result = json::parse(with_plugin.payload());
  EXPECT_TRUE(result["weight_engine_fallback"].is_null());
  double total = 0, smallest = 1, largest = 0;
  for (const auto& [fund, w] : result["fund_weights"].items()) {
    total += w.get<double>();
    smallest = std::min(smallest, w.get<double>());
    largest = std::max(largest, w.get<double>());
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_GT(largest - smallest, 1e-3);  // inverse-variance weights, not equal ones

  simple = true;  // the built-in pipeline has no such scheme: the reference's fallback path
  const HttpResponse built_in = RunDemo(api, "inverse_variance");
  ASSERT_EQ(built_in.status, 200) << built_in.payload();
  EXPECT_FALSE(json::parse(built_in.payload())["weight_engine_fallback"].is_null());
}

TEST(Plugins, BadPathsNameTheLibrary) {
  PipelineModuleRegistry modules;
  try {
    LoadPlugins("/nonexistent/plugin.so", modules);
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/plugin.so: cannot load the plugin", 0), 0u)
        << e.what();
  }
  EXPECT_TRUE(LoadPlugins("", modules).empty());
}

}  // namespace
}  // namespace trend
