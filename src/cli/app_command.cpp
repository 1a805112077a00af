#include "cli/app_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "error/input_error.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"
#include "server/pipeline_proxy.hpp"
#include "server/plugins.hpp"
#include "server/shared_cache.hpp"

namespace trend {

int AppCommand(const AppCommandOptions& options) {
  PipelineModuleRegistry modules;
  if (const char* plugin_path = std::getenv("TREND_PLUGIN_PATH"); plugin_path && *plugin_path) {
    try {
      for (const auto& plugin : LoadPlugins(plugin_path, modules)) {
        std::fprintf(stderr, "trend app: loaded plugin %s\n", plugin.c_str());
      }
    } catch (const std::runtime_error& e) {
      throw InputError(fmt::format("TREND_PLUGIN_PATH: {}", e.what()));
    }
  }
  ApiOptions api_options;
  api_options.cache_budget_bytes = options.cache_mb << 20;
  api_options.dataset_budget_bytes = options.dataset_mb << 20;
  api_options.dataset_dir = options.data_dir;
  api_options.limits = options.limits;
  api_options.run_timeout = std::chrono::milliseconds(options.run_timeout_ms);
  if (options.cache != "memory") {
    SharedCacheOptions cache_options;
    cache_options.ttl = std::chrono::seconds(options.cache_ttl_seconds);
    try {
      api_options.shared_cache = MakeSharedResultCache(options.cache, cache_options);
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("--cache: {}", e.what()));
    }
    // Connections are lazy: a backend that is down only costs errors, counted in /metrics.
    std::fprintf(stderr, "trend app: results shared through %s\n", options.cache.c_str());
  }
  std::unique_ptr<TrendApi> api_holder;
  try {
    api_holder = std::make_unique<TrendApi>(api_options, modules);
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--data-dir: {}", e.what()));
  }
  TrendApi& api = *api_holder;
  HttpServerOptions server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.io_threads = options.threads;
  server_options.worker_threads = options.threads;
  server_options.access_log = options.access_log;
  server_options.error_log = options.error_log;
  server_options.max_body_bytes_in_flight = options.body_budget_mb << 20;
  server_options.shutdown_grace = std::chrono::milliseconds(options.shutdown_grace_ms);
  server_options.cancel_in_flight = [&api] { api.CancelRuns("the server is shutting down"); };
  HttpServer server(server_options, [&api](const HttpRequest& r) { return api.Route(r); });
  try {
    server.Start();
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("cannot listen: {}", e.what()));
  }
  std::fprintf(stderr, "trend app: listening on http://%s:%u (API under /api/v1)\n",
               options.host.c_str(), server.port());
  if (!server.Run(/*handle_signals=*/true)) {
    // A run would not stop within the grace period; its thread still uses the API.
    std::fprintf(stderr, "trend app: stopped, abandoning a request still running\n");
    std::fflush(nullptr);
    std::_Exit(1);
  }
  std::fprintf(stderr, "trend app: stopped\n");
  return 0;
}

}  // namespace trend
