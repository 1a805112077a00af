// The shared result caches against real Redis and memcached servers started by the test:
// round trips, TTL, two API instances sharing results, and a backend that is down, which
// must only cost errors (counted), never a failed request.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "local_server.hpp"
#include "server/api.hpp"
#include "server/shared_cache.hpp"
#include "test_files.hpp"

namespace trend {
namespace {

using nlohmann::json;

HttpRequest DemoRun() {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/runs";
  request.content_type = "application/json";
  request.body =
      json{{"config", testing::DemoConfigYaml()}, {"csv", testing::DemoReturnsCsv()}}.dump();
  return request;
}

// An override whose run counts its calls and marks its result.
std::shared_ptr<PipelineModule> Counting(std::atomic<int>* calls) {
  auto module = std::make_shared<PipelineModule>("counting");
  PipelineEntry run;
  run.run = [calls](const PreparedReturns&, const AnalysisSettings&, const PipelineContext&) {
    ++*calls;
    AnalysisResult r;
    r.risk_free_column = "computed";
    return r;
  };
  module->Set("run", std::move(run));
  return module;
}

class SharedCache : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedCache, RoundTripAndTtl) {
  testing::LocalServer server(GetParam());
  SharedCacheOptions options;
  options.ttl = std::chrono::seconds(1);
  auto cache =
      MakeSharedResultCache(GetParam() + "://127.0.0.1:" + std::to_string(server.port()), options);
  EXPECT_FALSE(cache->Get("trend:test:a").has_value());
  const std::string big(200'000, 'x');
  cache->Put("trend:test:a", big);
  ASSERT_TRUE(cache->Get("trend:test:a").has_value());
  EXPECT_EQ(*cache->Get("trend:test:a"), big);
  EXPECT_EQ(cache->errors(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(cache->Get("trend:test:a").has_value());  // expired
}

TEST_P(SharedCache, TwoServersShareResults) {
  testing::LocalServer server(GetParam());
  const std::string url = GetParam() + "://127.0.0.1:" + std::to_string(server.port());
  std::atomic<int> calls{0};
  PipelineModuleRegistry modules_a, modules_b;
  modules_a.Install(Counting(&calls));
  modules_b.Install(Counting(&calls));
  ApiOptions options;
  options.shared_cache = MakeSharedResultCache(url);
  TrendApi a(options, modules_a);
  options.shared_cache = MakeSharedResultCache(url);
  TrendApi b(options, modules_b);
  const HttpRequest request = DemoRun();
  const HttpResponse first = a.Route(request).handle(request);
  ASSERT_EQ(first.status, 200) << first.payload();
  EXPECT_EQ(json::parse(first.payload())["risk_free_column"], "computed");
  EXPECT_EQ(first.headers.at("X-Cache"), "miss");
  const HttpResponse second = b.Route(request).handle(request);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.headers.at("X-Cache"), "hit-" + GetParam());
  EXPECT_EQ(second.payload(), first.payload());
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(SharedCache, ABackendThatIsDownOnlyCostsErrors) {
  const int port = testing::FreeLoopbackPort();  // nothing listens here
  PipelineModuleRegistry modules;
  ApiOptions options;
  options.shared_cache = MakeSharedResultCache(GetParam() + "://127.0.0.1:" + std::to_string(port));
  TrendApi api(options, modules);
  const HttpRequest request = DemoRun();
  const HttpResponse response = api.Route(request).handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.payload())["risk_free_column"], "SPX");
  EXPECT_GT(options.shared_cache->errors(), 0u);
  HttpRequest metrics;
  metrics.method = "GET";
  metrics.path = "/metrics";
  const std::string text = api.Route(metrics).handle(metrics).payload();
  EXPECT_NE(
      text.find("trend_cache_requests_total{backend=\"" + GetParam() + "\",outcome=\"error\"}"),
      std::string::npos);
}

// A hung backend (stopped with its socket open) costs its timeout a few times, then the
// breaker skips it without waiting; once it answers again, one probe closes the breaker.
TEST_P(SharedCache, AHungBackendIsSkippedByTheBreaker) {
  testing::LocalServer server(GetParam());
  SharedCacheOptions options;
  options.timeout = std::chrono::milliseconds(100);
  options.failures_to_open = 3;
  options.open_for = std::chrono::milliseconds(600);
  auto cache =
      MakeSharedResultCache(GetParam() + "://127.0.0.1:" + std::to_string(server.port()), options);
  cache->Put("trend:test:k", "v");  // connected and pooled
  ASSERT_EQ(cache->Get("trend:test:k").value_or(""), "v");
  server.Pause();
  const auto timed = [&] {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(cache->Get("trend:test:k").has_value());
    return std::chrono::steady_clock::now() - start;
  };
  for (int i = 0; i < 3; ++i) EXPECT_GE(timed(), std::chrono::milliseconds(90));
  EXPECT_TRUE(cache->breaker_open());
  EXPECT_EQ(cache->breaker_opened(), 1u);
  EXPECT_EQ(cache->errors(), 3u);
  for (int i = 0; i < 20; ++i) EXPECT_LT(timed(), std::chrono::milliseconds(20));
  cache->Put("trend:test:k", "w");  // dropped, not sent
  EXPECT_EQ(cache->skipped(), 21u);
  EXPECT_EQ(cache->errors(), 3u);
  server.Resume();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_FALSE(cache->breaker_open());
  // The probe may find the pooled connections broken by the pause; the next call reconnects.
  std::optional<std::string> value;
  for (int i = 0; i < 3 && !value; ++i) {
    value = cache->Get("trend:test:k");
    if (!value) std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  EXPECT_EQ(value.value_or(""), "v");
  EXPECT_FALSE(cache->breaker_open());
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedCache, ::testing::Values("redis", "memcached"),
                         [](const auto& param_info) { return param_info.param; });

TEST(SharedCacheUrl, RejectsUnknownSchemes) {
  EXPECT_THROW(MakeSharedResultCache("mongodb://x"), std::invalid_argument);
  EXPECT_THROW(MakeSharedResultCache("redis://:6379"), std::invalid_argument);
  EXPECT_THROW(MakeSharedResultCache("redis://h:port"), std::invalid_argument);
}

}  // namespace
}  // namespace trend
