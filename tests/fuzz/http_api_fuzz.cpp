// One HTTP request, as bytes off the wire, through the server's parser and the API in
// process: uploads, runs (config and CSV inline), lookups, the rest of the routes. A client
// can cause a 4xx or a 503, never a 500 or a crash.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/api.hpp"
#include "server/http_message.hpp"
#include "server/pipeline_proxy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static trend::PipelineModuleRegistry modules;
  // Built once and kept for the process: routes hold pointers into it.
  static trend::TrendApi& api = *[] {
    trend::ApiOptions options;
    options.dataset_budget_bytes = 8u << 20;
    options.cache_budget_bytes = 8u << 20;
    options.limits.max_cells = 20'000;
    options.limits.max_pairwise_funds = 64;
    options.limits.max_periods = 120;
    options.run_timeout = std::chrono::seconds(5);
    return new trend::TrendApi(options, modules);
  }();
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  const auto request = trend::ParseHttpRequest(wire, 16 * 1024, 1 << 20);
  if (!request) return 0;
  const trend::HttpResponse response = api.Route(*request).handle(*request);
  if (response.status == 500) __builtin_trap();
  return 0;
}
