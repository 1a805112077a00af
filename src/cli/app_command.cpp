#include "cli/app_command.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <filesystem>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

#include "error/input_error.hpp"
#include "ingest/usage_report.hpp"
#include "jobs/broker.hpp"
#include "jobs/job_client.hpp"
#include "jobs/job_executors.hpp"
#include "jobs/job_service.hpp"
#include "jobs/redis_client.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"
#include "server/pipeline_proxy.hpp"
#include "server/plugins.hpp"
#include "server/shared_cache.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend {
namespace {

// "a=1&b=x%20y" to its decoded pairs.
std::map<std::string, std::string> QueryParameters(std::string_view query) {
  auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%' && i + 2 < text.size() &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    parameters[decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
  }
  return parameters;
}

// GET /api/v1/usage?since=&until=&stream=&top=: the report of `trend ingest report --json`.
// A connection per request: the report is rare next to its queries' cost.
HttpResponse UsageResponse(const std::string& database, const HttpRequest& request) {
  auto json_response = [](int status, const nlohmann::json& body) {
    return HttpResponse{status, "application/json", body.dump(), {}, nullptr};
  };
  ingest::UsageQuery query;
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  const auto parameters = QueryParameters(request.query);
  for (const auto& [name, value] : parameters) {
    if (name == "since" || name == "until") {
      const auto time = ingest::ParseReportTime(value, now);
      if (!time) {
        return json_response(
            400, {{"error", "bad request"},
                  {"detail", name + "='" + value +
                                 "': expected YYYY-MM-DD, an ISO time or a span like 24h, 7d"},
                  {"path", request.path}});
      }
      (name == "since" ? query.since : query.until) = time;
    } else if (name == "stream") {
      query.stream = value;
    } else if (name == "top") {
      const bool digits = !value.empty() && value.size() <= 5 &&
                          value.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoul(value) == 0) {
        return json_response(400, {{"error", "bad request"},
                                   {"detail", "top='" + value + "': expected 1 to 99999"},
                                   {"path", request.path}});
      }
      query.top = std::stoul(value);
    } else {
      return json_response(
          400, {{"error", "bad request"},
                {"detail", "unknown parameter '" + name + "' (since, until, stream, top)"},
                {"path", request.path}});
    }
  }
  try {
    auto connection = storage::Connect(database);
    return json_response(200, ingest::UsageReport(*connection, query));
  } catch (const storage::StorageError& error) {
    return json_response(
        503, {{"error", "service unavailable"}, {"detail", error.what()}, {"path", request.path}});
  }
}

// The access token: --token FILE, else TREND_TOKEN. It goes in a header, so it must be
// printable ASCII without spaces, and long enough not to be guessed.
std::string AccessToken(const AppCommandOptions& options) {
  std::string token, source;
  if (!options.token_file.empty()) {
    source = "--token " + options.token_file;
    std::ifstream in(options.token_file, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read the file", source));
    token.assign(std::istreambuf_iterator<char>(in), {});
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    struct stat info {};
    if (::stat(options.token_file.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) {
      std::fprintf(stderr, "trend app: warning: %s can be read by other users (chmod 600 it)\n",
                   options.token_file.c_str());
    }
  } else if (const char* env = std::getenv("TREND_TOKEN"); env && *env) {
    source = "TREND_TOKEN";
    token = env;
  } else {
    return "";
  }
  if (token.size() < 16) {
    throw InputError(
        fmt::format("{}: the token has {} characters; use at least 16 (e.g. "
                    "openssl rand -hex 32)",
                    source, token.size()));
  }
  for (const char c : token) {
    if (c <= ' ' || c > '~') {
      throw InputError(fmt::format(
          "{}: the token must be printable ASCII without spaces (it is sent in a header)", source));
    }
  }
  return token;
}

// Jobs on a broker's workers with --broker, else on threads of this process.
std::shared_ptr<jobs::JobService> MakeJobService(const AppCommandOptions& options) {
  jobs::JobServiceOptions service;
  service.limits = options.limits;
  service.result_budget_bytes = options.job_mb << 20;
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  if (options.broker.empty()) {
    service.threads = options.job_threads ? options.job_threads : cores;
    service.where = "in process";
    // Each sweep job shares the cores with the other jobs and the requests.
    return std::make_shared<jobs::JobService>(service, jobs::MakeLocalExecutor({}));
  }
  jobs::BrokerExecutorOptions broker;
  broker.broker_url = options.broker;
  broker.backend_url = options.backend;
  broker.queue = options.queue;
  broker.notice = [](const std::string& text) {
    std::fprintf(stderr, "trend app: jobs: %s\n", text.c_str());
  };
  try {  // the URLs are checked now, so a typo fails at start
    service.where = "on the workers of " + jobs::BrokerDisplayUrl(options.broker);
    jobs::ParseRedisUrl(jobs::BackendUrlFor(options.broker, options.backend));
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("--broker/--backend: {}", e.what()));
  }
  // A job on a broker mostly waits for its tasks: many can be followed at once.
  service.threads = options.job_threads ? options.job_threads : 16;
  std::fprintf(stderr, "trend app: jobs run %s, queue %s\n", service.where.c_str(),
               options.queue.c_str());
  return std::make_shared<jobs::JobService>(service, jobs::MakeBrokerExecutor(broker));
}

}  // namespace

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
  // Runs beside the datasets they were made from, so both survive a restart.
  if (!options.data_dir.empty())
    api_options.run_dir = (std::filesystem::path(options.data_dir) / "runs").string();
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
  if (!options.usage_db.empty()) {
    // Checked now, so a wrong URL fails at start rather than at the first request.
    storage::Migrate(*storage::Connect(options.usage_db), storage::TrendSchema());
    api_options.usage = [database = options.usage_db](const HttpRequest& request) {
      return UsageResponse(database, request);
    };
  }
  api_options.jobs = MakeJobService(options);
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
  server_options.share_port = options.reuse_port;
  server_options.worker_threads = options.threads;
  server_options.access_log = options.access_log;
  server_options.error_log = options.error_log;
  server_options.max_body_bytes_in_flight = options.body_budget_mb << 20;
  server_options.shutdown_grace = std::chrono::milliseconds(options.shutdown_grace_ms);
  server_options.cancel_in_flight = [&api] { api.CancelRuns("the server is shutting down"); };
  server_options.access.bearer_token = AccessToken(options);
  const bool loopback = IsLoopbackAddress(options.host);
  if (!loopback && server_options.access.bearer_token.empty()) {
    throw InputError(fmt::format(
        "--host {}: that address can be reached from other machines; give an access token "
        "with --token FILE or TREND_TOKEN (clients then send Authorization: Bearer <token>)",
        options.host));
  }
  server_options.access.public_paths = options.public_paths;
  if (server_options.access.bearer_token.empty() &&
      options.public_paths != AppCommandOptions{}.public_paths) {
    std::fprintf(stderr,
                 "trend app: warning: --public-paths has no effect: without --token or "
                 "TREND_TOKEN every path is public\n");
  }
  if (options.allowed_hosts.empty()) {
    // On loopback only the loopback names: a page on another site whose name was rebound to
    // 127.0.0.1 still sends its own name.
    if (loopback) server_options.access.allowed_hosts = {"localhost", "127.0.0.1", "::1"};
  } else if (options.allowed_hosts != std::vector<std::string>{"*"}) {
    server_options.access.allowed_hosts = options.allowed_hosts;
  }
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
