#include "server/api.hpp"
#include "digest/sha256.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "config/config_loader.hpp"
#include "config/schema.hpp"
#include "config/yaml_json.hpp"
#include "data/csv_reader.hpp"
#include "data/resample.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"
#include "server/api_response.hpp"
#include "server/web_assets.hpp"

namespace trend {

extern const char* const kDefaultsYaml;  // config/defaults.yml, embedded at build time

namespace {

using nlohmann::json;

constexpr const char* kEngineVersion = "trend-engine 0.1.0";
constexpr double kBucketBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};

// "strict": true and the run produced warnings: a 422 listing them, nothing cached.
struct StrictFailure : std::runtime_error {
  explicit StrictFailure(std::vector<std::string> w)
      : std::runtime_error("strict"), warnings(std::move(w)) {}
  std::vector<std::string> warnings;
};

// The page and its assets, built into the executable. Our files change with each build, so
// browsers revalidate them; Chart.js and js-yaml are pinned by web/package-lock.json and may
// be kept.
HttpResponse WebPage(const HttpRequest& request) {
  const WebAsset* asset = FindWebAsset(request.path);
  if (asset == nullptr) return Error(404, "not found", "no such file", request.path);
  HttpResponse response{200, std::string(asset->content_type), "", {}, asset->body};
  const bool pinned =
      request.path == "/assets/chart.umd.js" || request.path == "/assets/js-yaml.min.js";
  response.headers["Cache-Control"] = pinned ? "public, max-age=86400" : "no-cache";
  return response;
}

const char* kOpenApi = R"json({
  "openapi": "3.0.3",
  "info": {"title": "Trend Engine API", "version": "0.1.0",
           "description": "Volatility-adjusted trend portfolio analysis: the results of `trend run --json`. A server started with --token wants Authorization: Bearer <token> on every path but its public ones (401 otherwise); a Host it does not answer to is a 400; a body past the server's in-flight budget is a 503 with Retry-After."},
  "paths": {
    "/api/v1/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
    "/api/v1/datasets": {"post": {"summary": "Upload a returns CSV (body: text/csv); the id is the SHA-256 of the content, so uploads dedupe; kept in memory within a budget and, with --data-dir, on disk",
      "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}},
      "responses": {"201": {"description": "stored"}, "200": {"description": "already stored"}, "413": {"description": "too large"}, "415": {"description": "Content-Type is not text/csv or application/octet-stream"}, "422": {"description": "not a returns CSV"}, "507": {"description": "the dataset directory (--data-dir) could not store it"}}}},
    "/api/v1/datasets/{id}": {"get": {"summary": "Columns, dates and frequency of a dataset",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the dataset"}, "404": {"description": "unknown id"}}}},
    "/api/v1/runs": {"get": {"summary": "The history of runs, newest first: id, created, mode, dataset, config summary, headline statistics; kept over restarts with trend app --data-dir",
      "parameters": [{"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
      "responses": {"200": {"description": "{runs, total, offset, limit, next}"}}},
      "post": {"summary": "Run an analysis: {config: object or YAML string, dataset: id | csv: string, dataset_name: string, multi_period: bool, strict: bool}; the body is the document trend run --json writes, with its warnings[]; strict turns any warning into a 422; X-Run-Id and Location name the cached result",
      "requestBody": {"content": {"application/json": {"schema": {"type": "object",
        "properties": {"config": {"oneOf": [{"$ref": "/api/v1/config/schema"}, {"type": "string"}]}, "dataset": {"type": "string"}, "csv": {"type": "string"}, "multi_period": {"type": "boolean"}, "strict": {"type": "boolean"}}, "required": ["config"]}}}},
      "responses": {"200": {"description": "the result document"}, "400": {"description": "malformed JSON"}, "415": {"description": "Content-Type is not application/json"}, "404": {"description": "unknown dataset"}, "422": {"description": "invalid config or data, naming the key; or over a work limit (error: work limit, with limit, needed, maximum and the server flag that raises it)"}, "503": {"description": "cancelled: past --run-timeout, or the server is shutting down (Retry-After)"}}}},
    "/api/v1/runs/{id}": {"get": {"summary": "A finished result by run id",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the result document"}, "404": {"description": "unknown or evicted"}}}},
    "/api/v1/jobs": {"post": {"summary": "Submit a job: {kind: run | multi_period | sweep, config: object or YAML string, dataset: id | csv: string, grid: object or YAML string (sweep), strict: bool}. It runs on the server's threads, or with trend app --broker on the trend worker processes of that broker; the config and grid are checked now",
      "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"enum": ["run", "multi_period", "sweep"]}, "config": {"oneOf": [{"$ref": "/api/v1/config/schema"}, {"type": "string"}]}, "dataset": {"type": "string"}, "csv": {"type": "string"}, "grid": {"oneOf": [{"type": "object"}, {"type": "string"}]}, "strict": {"type": "boolean"}}, "required": ["config"]}}}},
      "responses": {"202": {"description": "queued: {id, kind, state, links}; Location names the job"}, "400": {"description": "malformed JSON"}, "404": {"description": "unknown dataset"}, "415": {"description": "Content-Type is not application/json"}, "422": {"description": "invalid kind, config, grid or data, naming the key"}, "503": {"description": "too many jobs waiting (Retry-After)"}}},
      "get": {"summary": "Recent jobs, newest first (?limit=, at most 1000)", "responses": {"200": {"description": "{jobs: [...]}"}}}},
    "/api/v1/jobs/{id}": {"get": {"summary": "A job: state (PENDING, STARTED, SUCCESS, FAILURE, REVOKED, as Celery's), progress {done, total, unit}, times, error {type, message}, and links.result once it succeeded",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the job"}, "404": {"description": "unknown or forgotten"}}},
      "delete": {"summary": "Revoke a job: one waiting never starts, one running stops at its next check (on a broker, its tasks not yet taken are revoked)",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"202": {"description": "revocation asked of a running job"}, "200": {"description": "revoked, or already finished (its state)"}, "404": {"description": "unknown"}}}},
    "/api/v1/jobs/{id}/result": {"get": {"summary": "A finished job's result: the document trend run --json writes (run, multi_period), or a sweep's results.jsonl (?format=jsonl, the default) or results.csv (?format=csv), the bytes trend sweep writes",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "format", "in": "query", "schema": {"enum": ["jsonl", "csv"]}}],
      "responses": {"200": {"description": "the result"}, "404": {"description": "unknown job"}, "409": {"description": "not finished, or it failed or was revoked"}, "410": {"description": "its result was dropped to keep within --job-mb"}}}},
    "/api/v1/usage": {"get": {"summary": "Traffic from the ingested access and error logs (trend app --usage-db): requests, status mix, p50/p95/p99 per route, slowest and most-run analyses; query: since, until (YYYY-MM-DD, ISO time, or 24h/7d back), stream, top",
      "responses": {"200": {"description": "the report, as trend ingest report --json"}, "400": {"description": "a bad since/until/top"}, "404": {"description": "no --usage-db"}}}},
    "/api/v1/config/validate": {"post": {"summary": "Check a config as POST /api/v1/runs would: {config: object or YAML string, multi_period: bool} gives {valid, error (the CLI's message), warnings[]}", "responses": {"200": {"description": "the verdict"}}}},
    "/api/v1/runs/{id}/request": {"get": {"summary": "What made a run: config (as sent), dataset id and name, mode, created, summary, headline statistics, warnings", "responses": {"200": {"description": "the run's record"}, "404": {"description": "not in the history"}}}},
    "/api/v1/runs/{id}/export": {"get": {"summary": "A run's files as trend run --out writes them (csv, xlsx, txt, json) or its report (html, pdf); several files come zipped",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "format", "in": "query", "required": true, "schema": {"enum": ["csv", "xlsx", "txt", "json", "html", "pdf"]}}],
      "responses": {"200": {"description": "a file or a zip archive (Content-Disposition names it)"}, "410": {"description": "the run's dataset is gone"}, "503": {"description": "no browser to print a PDF"}}}},
    "/api/v1/config/defaults": {"get": {"summary": "The default config (config/defaults.yml) as JSON", "responses": {"200": {"description": "defaults"}}}},
    "/api/v1/config/schema": {"get": {"summary": "The config schema as JSON Schema (draft 2020-12): types, bounds, choices, defaults (x-default), sweepable keys (x-sweepable), the keys each needs to have an effect (x-needs)", "responses": {"200": {"description": "application/schema+json"}}}},
    "/api/v1/debug/pipeline": {"get": {"summary": "The pipeline proxy's recent resolutions of run", "responses": {"200": {"description": "entries"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
    "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}}
  }
})json";

}  // namespace

// The route table: matched in order; a prefix route takes the rest of the path as its id.
const std::vector<TrendApi::Endpoint>& TrendApi::Endpoints() {
  using R = HttpResponse;
  using Q = const HttpRequest&;
  using Id = std::string_view;
  static const std::vector<Endpoint> kEndpoints = {
      {"GET", "/", false, false, "GET / (web page)", [](TrendApi&, Q r, Id) { return WebPage(r); }},
      {"GET", "/index.html", false, false, "GET / (web page)",
       [](TrendApi&, Q r, Id) { return WebPage(r); }},
      {"GET", "/assets/", true, false, "GET /assets/{file}",
       [](TrendApi&, Q r, Id) { return WebPage(r); }},
      {"GET", "/healthz", false, false, "GET /healthz",
       [](TrendApi&, Q, Id) {
         return Json(200, {{"status", "ok"}});
       }},
      {"GET", "/api/v1/healthz", false, false, "GET /healthz",
       [](TrendApi&, Q, Id) {
         return Json(200, {{"status", "ok"}});
       }},
      {"POST", "/api/v1/datasets", false, true, "POST /api/v1/datasets",
       [](TrendApi& api, Q r, Id) { return api.PostDataset(r); }},
      // Off the event loop: they may read a dataset file and parse it, or wait on Redis.
      {"GET", "/api/v1/datasets/", true, true, "GET /api/v1/datasets/{id}",
       [](TrendApi& api, Q r, Id id) { return api.GetDataset(std::string(id), r); }},
      {"POST", "/api/v1/runs", false, true, "POST /api/v1/runs",
       [](TrendApi& api, Q r, Id) { return api.PostRun(r); }},
      {"GET", "/api/v1/runs", false, false, "GET /api/v1/runs",
       [](TrendApi& api, Q r, Id) { return api.ListRuns(r); }},
      // Off the event loop: a run may be read from disk, and an export runs the analysis.
      {"GET", "/api/v1/runs/", true, true, "GET /api/v1/runs/{id}",
       [](TrendApi& api, Q r, Id id) { return api.GetRun(id, r); }},
      // Off the event loop: a job's config, grid and dataset are parsed before it is queued.
      {"POST", "/api/v1/jobs", false, true, "POST /api/v1/jobs",
       [](TrendApi& api, Q r, Id) { return api.PostJob(r); }},
      {"GET", "/api/v1/jobs", false, false, "GET /api/v1/jobs",
       [](TrendApi& api, Q r, Id) { return api.ListJobs(r); }},
      {"GET", "/api/v1/jobs/", true, false, "GET /api/v1/jobs/{id}",
       [](TrendApi& api, Q r, Id id) { return api.GetJob(id, r); }},
      {"DELETE", "/api/v1/jobs/", true, false, "DELETE /api/v1/jobs/{id}",
       [](TrendApi& api, Q r, Id id) { return api.DeleteJob(id, r); }},
      // Off the event loop: it queries a database.
      {"GET", "/api/v1/usage", false, true, "GET /api/v1/usage",
       [](TrendApi& api, Q r, Id) { return api.Usage(r); }},
      {"POST", "/api/v1/config/validate", false, false, "POST /api/v1/config/validate",
       [](TrendApi& api, Q r, Id) { return api.ValidateConfig(r); }},
      {"GET", "/api/v1/config/defaults", false, false, "GET /api/v1/config/defaults",
       [](TrendApi& api, Q r, Id) { return api.Defaults(r); }},
      {"GET", "/api/v1/config/schema", false, false, "GET /api/v1/config/schema",
       [](TrendApi&, Q, Id) {
         static const std::string kSchema = ConfigJsonSchema();
         return R{200, "application/schema+json", kSchema, {}, nullptr};
       }},
      {"GET", "/metrics", false, false, "GET /metrics",
       [](TrendApi& api, Q r, Id) { return api.Metrics(r); }},
      {"GET", "/api/v1/metrics", false, false, "GET /metrics",
       [](TrendApi& api, Q r, Id) { return api.Metrics(r); }},
      {"GET", "/api/v1/debug/pipeline", false, false, "GET /api/v1/debug/pipeline",
       [](TrendApi& api, Q r, Id) { return api.DebugPipeline(r); }},
      {"GET", "/api/v1/openapi.json", false, false, "GET /openapi.json",
       [](TrendApi&, Q, Id) {
         return R{200, "application/json", kOpenApi, {}, nullptr};
       }},
      {"GET", "/openapi.json", false, false, "GET /openapi.json",
       [](TrendApi&, Q, Id) {
         return R{200, "application/json", kOpenApi, {}, nullptr};
       }},
  };
  return kEndpoints;
}

TrendApi::TrendApi(ApiOptions options, PipelineModuleRegistry& modules)
    : options_(options),
      proxy_(modules, options.simple_flag),
      cache_(options.cache_budget_bytes),
      datasets_(options.dataset_budget_bytes, options.dataset_dir),
      history_(options.run_dir, options.max_runs) {
  // One stats slot per label, made now, so requests never lock to find theirs.
  for (const auto& endpoint : Endpoints()) {
    auto& slot = stats_[endpoint.label];
    if (!slot) slot = std::make_unique<RouteStats>();
  }
  stats_["other"] = std::make_unique<RouteStats>();
  for (const auto& endpoint : Endpoints()) {
    bindings_.push_back({this, stats_.at(endpoint.label).get(), &endpoint});
  }
  bindings_.push_back({this, stats_.at("other").get(), nullptr});  // last: unrouted requests
  if (options_.jobs) {
    options_.jobs->OnSuccess(
        [this](const jobs::JobSnapshot& job, const jobs::JobSpec& spec) { RecordJob(job, spec); });
  }
}

TrendApi::~TrendApi() {
  if (options_.jobs) options_.jobs->OnSuccess(nullptr);
}

HttpResponse TrendApi::Measure(RouteStats& stats, const Endpoint* endpoint,
                               const HttpRequest& request) {
  ++in_flight_;
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response;
  try {
    if (endpoint != nullptr) {
      const std::string_view id = endpoint->prefix
                                      ? std::string_view(request.path).substr(endpoint->path.size())
                                      : std::string_view();
      response = endpoint->handle(*this, request, id);
    } else {
      response = Unrouted(request);
    }
  } catch (...) {
    --in_flight_;
    ++stats.errors;
    throw;
  }
  --in_flight_;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++stats.count;
  if (response.status >= 400) ++stats.errors;
  stats.micros += static_cast<std::uint64_t>(seconds * 1e6);
  std::size_t b = 0;
  while (b < std::size(kBucketBounds) && seconds > kBucketBounds[b]) ++b;
  ++stats.buckets[b];
  return response;
}

HttpResponse TrendApi::Unrouted(const HttpRequest& r) {
  for (const auto& endpoint : Endpoints()) {
    const bool path_matches = endpoint.prefix ? r.path.rfind(endpoint.path, 0) == 0 &&
                                                    r.path.size() > endpoint.path.size()
                                              : r.path == endpoint.path;
    if (path_matches) {
      return Error(405, "method not allowed", r.method + " is not supported here", r.path);
    }
  }
  return Error(404, "not found", "no such endpoint; see /api/v1/openapi.json", r.path);
}

HttpRoute TrendApi::Route(const HttpRequest& request) {
  // Each handler captures one pointer to its binding: no allocation per request.
  // HEAD is served as GET; the server leaves the body out. (Both sides are views: a ternary
  // of "GET" and a std::string would make a temporary string the view outlives.)
  const std::string_view method =
      request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  for (const Binding& binding : bindings_) {
    const Endpoint* endpoint = binding.endpoint;
    if (endpoint == nullptr || method != endpoint->method) continue;
    const bool match = endpoint->prefix ? request.path.rfind(endpoint->path, 0) == 0 &&
                                              request.path.size() > endpoint->path.size()
                                        : request.path == endpoint->path;
    if (!match) continue;
    const Binding* b = &binding;
    return {endpoint->heavy,
            [b](const HttpRequest& r) { return b->api->Measure(*b->stats, b->endpoint, r); }};
  }
  const Binding* other = &bindings_.back();
  return {false,
          [other](const HttpRequest& r) { return other->api->Measure(*other->stats, nullptr, r); }};
}

HttpResponse TrendApi::PostDataset(const HttpRequest& request) {
  if (auto refused = RequireContentType(request, {"text/csv", "application/octet-stream"}))
    return *refused;
  try {
    bool created = false;
    const auto dataset = datasets_.Store(request.body, &created);
    return Json(created ? 201 : 200, {{"id", dataset->id},
                                      {"columns", dataset->frame.columns},
                                      {"rows", dataset->frame.rows()}});
  } catch (const InputError& e) {
    return Error(422, "invalid dataset", e.what(), request.path);
  } catch (const std::runtime_error& e) {  // the dataset directory could not take it
    return Error(507, "insufficient storage", e.what(), request.path);
  }
}

HttpResponse TrendApi::GetDataset(const std::string& id, const HttpRequest& request) {
  const auto dataset = datasets_.Find(id);
  if (!dataset) return Error(404, "not found", "no dataset with id " + id, request.path);
  const ReturnsFrame& f = dataset->frame;
  std::string frequency = "unknown";
  try {
    frequency = std::string(1, FrequencyCode(DetectFrequency(f.dates, "dataset")));
  } catch (const InputError&) {
  }
  return Json(200, {{"id", id},
                    {"columns", f.columns},
                    {"rows", f.rows()},
                    {"first_date", f.dates.empty() ? "" : FormatDate(f.dates.front())},
                    {"last_date", f.dates.empty() ? "" : FormatDate(f.dates.back())},
                    {"frequency", frequency}});
}

TrendApi::ActiveRun::ActiveRun(TrendApi& api, RunGuard& guard) : api_(api), guard_(guard) {
  std::lock_guard lock(api_.runs_mutex_);
  if (api_.cancelling_) guard_.Cancel("the server is shutting down");
  api_.runs_.insert(&guard_);
}

TrendApi::ActiveRun::~ActiveRun() {
  std::lock_guard lock(api_.runs_mutex_);
  api_.runs_.erase(&guard_);
}

void TrendApi::CancelRuns(const std::string& reason) {
  std::lock_guard lock(runs_mutex_);
  cancelling_ = true;
  for (RunGuard* guard : runs_) guard->Cancel(reason);
}

HttpResponse TrendApi::Usage(const HttpRequest& request) {
  if (!options_.usage) {
    return Json(404, {{"error", "not found"},
                      {"detail",
                       "no usage database: start trend app with --usage-db URL (the "
                       "database trend ingest loads the access log into)"},
                      {"path", request.path}});
  }
  return options_.usage(request);
}

std::optional<HttpResponse> TrendApi::ResolveDataset(const json& body, const HttpRequest& request,
                                                     std::shared_ptr<const StoredDataset>& out) {
  try {
    if (body.contains("dataset")) {
      out = datasets_.Find(body["dataset"].get<std::string>());
      if (!out) {
        return Error(404, "not found", "no dataset with id " + body["dataset"].get<std::string>(),
                     request.path);
      }
    } else if (body.contains("csv") && body["csv"].is_string()) {
      out = datasets_.Store(body["csv"].get<std::string>());
    } else {
      return Error(422, "invalid request", "give dataset (an id) or csv (the file's text)",
                   request.path);
    }
  } catch (const InputError& e) {
    return Error(422, "invalid dataset", e.what(), request.path);
  } catch (const json::exception& e) {
    return Error(422, "invalid request", e.what(), request.path);
  }
  return std::nullopt;
}

// Resolved on every request, as the proxy promises; the module answering is part of the
// key, so a plugin's or an override's results never stand in for the built-in pipeline's.
TrendApi::RunModules TrendApi::ResolveRun(bool multi) {
  return {proxy_.Resolve(multi ? "run_multi_period" : "run"), proxy_.Resolve("registries")};
}

std::string TrendApi::RunId(const std::string& config_text, const std::string& dataset_id,
                            bool multi, bool strict, const RunModules& modules) {
  return Sha256Hex(config_text + "\n" + dataset_id + "\n" + (multi ? "multi" : "single") +
                   (strict ? " strict" : "") + "\n" + kEngineVersion + "\n" +
                   modules.entry.module().name() + "\n" + modules.lookups.module().name());
}

TrendApi::ComputedRun TrendApi::Compute(const AnalysisSettings& s, const StoredDataset& dataset,
                                        bool multi, RunGuard& guard, const RunModules& modules) {
  const ResolvedEntry& entry = modules.entry;
  PipelineContext context = modules.lookups->registries;
  context.guard = &guard;
  ComputedRun out;
  if (multi) {
    PreparedReturns data = PrepareReturns(dataset.frame, MultiPeriodPrepareOptions(s), "dataset");
    data.valid = ValidCounts(data.monthly.values);
    out.multi = entry->multi(data, s, context);
  } else {
    PrepareOptions options;
    options.load_policy = s.data.load_missing;
    options.panel_policy = s.preprocessing_missing;
    options.enforce_completeness = !s.data.allow_risk_free_fallback;
    const PreparedReturns data = PrepareReturns(dataset.frame, options, "dataset");
    out.single = entry->run(data, s, context);
  }
  return out;
}

HttpResponse TrendApi::PostRun(const HttpRequest& request) {
  if (auto refused = RequireContentType(request, {"application/json"})) return *refused;
  json body;
  if (auto refused = ParseJsonBody(request, body)) return *refused;
  if (!body.is_object() || !body.contains("config")) {
    return Error(422, "invalid request", "expected {config, dataset | csv, multi_period}",
                 request.path);
  }
  const json& config_node = body["config"];
  if (!config_node.is_object() && !config_node.is_string()) {
    return Error(422, "invalid request", "config: expected an object or a YAML string",
                 request.path);
  }
  for (const char* flag : {"multi_period", "strict"}) {
    if (body.contains(flag) && !body[flag].is_boolean()) {
      return Error(422, "invalid request", std::string(flag) + ": expected true or false",
                   request.path);
    }
  }
  const bool multi = body.value("multi_period", false);
  const bool strict = body.value("strict", false);
  std::shared_ptr<const StoredDataset> dataset;
  if (auto refused = ResolveDataset(body, request, dataset)) return *refused;
  // JSON is YAML: one parser validates both forms, naming the key like the CLI does.
  const std::string config_text =
      config_node.is_string() ? config_node.get<std::string>() : config_node.dump();
  LoadedConfig config;
  try {
    config = ParseConfig(config_text, "config", "");
  } catch (const InputError& e) {
    return Error(422, "invalid config", e.what(), request.path);
  }
  if (config.settings.data.universe_membership_path) {
    return Error(422, "invalid config",
                 "data.universe_membership_path names a file on the server; it is not read "
                 "over the API",
                 request.path);
  }
  if (!config.settings.data.source.empty()) {
    return Error(422, "invalid config",
                 "data.source names a database on the server; it is not read over the API (send "
                 "the returns as csv or a dataset id)",
                 request.path);
  }
  const std::vector<std::string> config_warnings =
      ConfigWarnings(config, multi ? RunMode::kMultiPeriod : RunMode::kSinglePeriod);
  if (strict && !config_warnings.empty()) {
    return Json(422, {{"error", "strict"},
                      {"detail", config_warnings.front()},
                      {"warnings", config_warnings},
                      {"path", request.path}});
  }
  const RunModules modules = ResolveRun(multi);
  const std::string run_id = RunId(config_text, dataset->id, multi, strict, modules);
  HttpResponse response;
  response.headers["X-Run-Id"] = run_id;
  response.headers["Location"] = "/api/v1/runs/" + run_id;
  // What the history keeps of this run (GET /api/v1/runs).
  RunRecord record;
  record.id = run_id;
  record.mode = multi ? "multi_period" : "single";
  record.dataset_id = dataset->id;
  if (body.contains("dataset_name") && body["dataset_name"].is_string())
    record.dataset_name = body["dataset_name"].get<std::string>();
  record.config_text = config_text;
  record.summary =
      ConfigSummary(config_node.is_object() ? config_node : YamlTextToJson(config_text));
  std::string source;
  if (auto hit = CachedRun(run_id, &source)) {
    response.headers["X-Cache"] = source;
    if (!history_.Find(run_id)) {
      const json doc = json::parse(*hit, nullptr, false);
      record.headline = HeadlineStatistics(doc);
      if (doc.is_object() && doc.contains("warnings")) record.warnings = doc["warnings"];
      RecordRun(std::move(record), hit);
    }
    response.shared_body = std::move(hit);
    return response;
  }
  bool shared = false;
  std::optional<RunGuard::Clock::time_point> deadline;
  if (options_.run_timeout.count() > 0) deadline = RunGuard::Clock::now() + options_.run_timeout;
  RunGuard guard(options_.limits, deadline);
  const ActiveRun active(*this, guard);
  try {
    const auto document = single_flight_.Do(
        run_id,
        [&]() -> std::shared_ptr<const std::string> {
          const ComputedRun computed = Compute(config.settings, *dataset, multi, guard, modules);
          json doc = computed.multi ? MultiPeriodToJson(*computed.multi)
                                    : AnalysisToJson(*computed.single);
          const std::vector<std::string>& run_warnings =
              computed.multi ? computed.multi->warnings : computed.single->warnings;
          if (strict && !run_warnings.empty()) throw StrictFailure(run_warnings);
          std::vector<std::string> warnings = config_warnings;
          warnings.insert(warnings.end(), run_warnings.begin(), run_warnings.end());
          doc["warnings"] = warnings;  // the same list `trend run --json` writes
          std::string text = doc.dump(2) + "\n";
          auto stored = std::make_shared<const std::string>(std::move(text));
          cache_.Put(run_id, stored);
          if (options_.shared_cache) options_.shared_cache->Put("trend:run:" + run_id, *stored);
          record.headline = HeadlineStatistics(doc);
          record.warnings = warnings;
          RecordRun(std::move(record), stored);
          return stored;
        },
        &shared);
    if (shared) ++cache_shared_;
    response.headers["X-Cache"] = shared ? "shared" : "miss";
    response.shared_body = document;
    return response;
  } catch (const RunCancelled& e) {
    ++runs_cancelled_;
    HttpResponse unavailable = Error(503, "run cancelled", e.what(), request.path);
    unavailable.headers["Retry-After"] = "30";
    return unavailable;
  } catch (const WorkLimitError& e) {
    ++runs_over_limit_;
    return Json(422, {{"error", "work limit"},
                      {"detail", e.what()},
                      {"limit", e.limit()},
                      {"needed", e.needed()},
                      {"maximum", e.maximum()},
                      {"flag", "trend app " + e.flag()},
                      {"path", request.path}});
  } catch (const StrictFailure& e) {
    return Json(422, {{"error", "strict"},
                      {"detail", e.warnings.front()},
                      {"warnings", e.warnings},
                      {"path", request.path}});
  } catch (const InputError& e) {
    return Error(422, "invalid run", e.what(), request.path);
  }
}

std::shared_ptr<const std::string> TrendApi::CachedRun(const std::string& run_id,
                                                       std::string* source) {
  if (auto hit = cache_.Get(run_id)) {
    ++cache_hits_;
    *source = "hit";
    return *hit;
  }
  ++cache_misses_;
  if (options_.shared_cache) {
    if (auto shared = options_.shared_cache->Get("trend:run:" + run_id)) {
      auto document = std::make_shared<const std::string>(std::move(*shared));
      cache_.Put(run_id, document);
      *source = std::string("hit-") + options_.shared_cache->backend();
      return document;
    }
  }
  return nullptr;
}

// The page's validation as you type: the parser and the warnings of POST /api/v1/runs, so the
// messages are the CLI's, word for word.
HttpResponse TrendApi::ValidateConfig(const HttpRequest& request) {
  if (auto refused = RequireContentType(request, {"application/json"})) return *refused;
  json body;
  if (auto refused = ParseJsonBody(request, body)) return *refused;
  if (!body.is_object() || !body.contains("config") ||
      (!body["config"].is_object() && !body["config"].is_string())) {
    return Error(422, "invalid request", "expected {config: object or YAML string, multi_period}",
                 request.path);
  }
  const bool multi = body.value("multi_period", false);
  const std::string text =
      body["config"].is_string() ? body["config"].get<std::string>() : body["config"].dump();
  try {
    const LoadedConfig config = ParseConfig(text, "config", "");
    json warnings = ConfigWarnings(config, multi ? RunMode::kMultiPeriod : RunMode::kSinglePeriod);
    if (multi && !config.settings.multi_period) {
      return Json(200, {{"valid", false},
                        {"error",
                         "config: a multi-period backtest needs a multi_period section "
                         "(frequency, in_sample_len, out_sample_len, start, end)"},
                        {"warnings", warnings}});
    }
    return Json(200, {{"valid", true}, {"warnings", warnings}});
  } catch (const InputError& e) {
    return Json(200, {{"valid", false}, {"error", e.what()}, {"warnings", json::array()}});
  }
}

HttpResponse TrendApi::Defaults(const HttpRequest&) {
  static const std::string kDefaultsJson = YamlToJson(YAML::Load(kDefaultsYaml)).dump();
  return {200, "application/json", kDefaultsJson, {}, nullptr};
}

HttpResponse TrendApi::DebugPipeline(const HttpRequest&) {
  json entries = json::array();
  for (const auto& r : proxy_.DebugLog()) {
    entries.push_back({{"entry", r.entry},
                       {"simple", r.simple},
                       {"module_id", r.module_id},
                       {"package_module_id", r.package_module_id},
                       {"package_entry_id", r.package_entry_id}});
  }
  return Json(200, {{"entries", entries}});
}

HttpResponse TrendApi::Metrics(const HttpRequest&) {
  std::string out;
  out += "# HELP trend_http_requests_total Requests served, by route.\n";
  out += "# TYPE trend_http_requests_total counter\n";
  for (const auto& [route, s] : stats_) {
    out += fmt::format("trend_http_requests_total{{route=\"{}\"}} {}\n", route, s->count.load());
  }
  out += "# HELP trend_http_errors_total Responses with status >= 400, by route.\n";
  out += "# TYPE trend_http_errors_total counter\n";
  for (const auto& [route, s] : stats_) {
    out += fmt::format("trend_http_errors_total{{route=\"{}\"}} {}\n", route, s->errors.load());
  }
  out += "# HELP trend_http_request_duration_seconds Handler latency, by route.\n";
  out += "# TYPE trend_http_request_duration_seconds histogram\n";
  for (const auto& [route, s] : stats_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < std::size(kBucketBounds); ++b) {
      cumulative += s->buckets[b].load();
      out +=
          fmt::format("trend_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                      route, kBucketBounds[b], cumulative);
    }
    cumulative += s->buckets[std::size(kBucketBounds)].load();
    out +=
        fmt::format("trend_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                    route, cumulative);
    out += fmt::format("trend_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                       static_cast<double>(s->micros.load()) / 1e6);
    out += fmt::format("trend_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       s->count.load());
  }
  out += "# TYPE trend_http_in_flight gauge\n";
  out += fmt::format("trend_http_in_flight {}\n", in_flight_.load());
  out +=
      "# HELP trend_runs_stopped_total Runs refused by a work limit or cancelled (deadline, "
      "shutdown).\n";
  out += "# TYPE trend_runs_stopped_total counter\n";
  out += fmt::format("trend_runs_stopped_total{{reason=\"work_limit\"}} {}\n",
                     runs_over_limit_.load());
  out +=
      fmt::format("trend_runs_stopped_total{{reason=\"cancelled\"}} {}\n", runs_cancelled_.load());
  out += "# HELP trend_cache_requests_total Result cache lookups by backend and outcome.\n";
  out += "# TYPE trend_cache_requests_total counter\n";
  out += fmt::format("trend_cache_requests_total{{backend=\"memory\",outcome=\"hit\"}} {}\n",
                     cache_hits_.load());
  out += fmt::format("trend_cache_requests_total{{backend=\"memory\",outcome=\"miss\"}} {}\n",
                     cache_misses_.load());
  out += fmt::format("trend_cache_requests_total{{backend=\"memory\",outcome=\"shared\"}} {}\n",
                     cache_shared_.load());
  if (const auto& shared = options_.shared_cache) {
    for (const auto& [outcome, n] : {std::pair{"hit", shared->hits()},
                                     {"miss", shared->misses()},
                                     {"error", shared->errors()},
                                     {"skipped", shared->skipped()}}) {
      out += fmt::format("trend_cache_requests_total{{backend=\"{}\",outcome=\"{}\"}} {}\n",
                         shared->backend(), outcome, n);
    }
    out += "# HELP trend_cache_breaker_open 1 while the shared backend is skipped after errors.\n";
    out += "# TYPE trend_cache_breaker_open gauge\n";
    out += fmt::format("trend_cache_breaker_open{{backend=\"{}\"}} {}\n", shared->backend(),
                       shared->breaker_open() ? 1 : 0);
    out += "# TYPE trend_cache_breaker_opened_total counter\n";
    out += fmt::format("trend_cache_breaker_opened_total{{backend=\"{}\"}} {}\n", shared->backend(),
                       shared->breaker_opened());
  }
  out += "# TYPE trend_cache_bytes gauge\n";
  out += fmt::format("trend_cache_bytes{{backend=\"memory\"}} {}\n", cache_.bytes());
  out += "# HELP trend_datasets Datasets held in memory, and their bytes.\n";
  out += "# TYPE trend_datasets gauge\n";
  out += fmt::format("trend_datasets {}\n", datasets_.entries());
  out += "# TYPE trend_dataset_bytes gauge\n";
  out += fmt::format("trend_dataset_bytes {}\n", datasets_.bytes());
  out += "# HELP trend_dataset_disk_reads_total Datasets read back from the dataset directory.\n";
  out += "# TYPE trend_dataset_disk_reads_total counter\n";
  out += fmt::format("trend_dataset_disk_reads_total {}\n", datasets_.disk_reads());
  if (options_.jobs) {
    const auto c = options_.jobs->counts();
    out += "# HELP trend_jobs Jobs by state: waiting and running now, finished since start.\n";
    out += "# TYPE trend_jobs gauge\n";
    for (const auto& [state, n] : {std::pair{"PENDING", c.pending},
                                   {"STARTED", c.started},
                                   {"SUCCESS", c.succeeded},
                                   {"FAILURE", c.failed},
                                   {"REVOKED", c.revoked}}) {
      out += fmt::format("trend_jobs{{state=\"{}\"}} {}\n", state, n);
    }
  }
  out += "# HELP trend_pipeline_proxy_resolutions_total Entry-point resolutions, by mode.\n";
  out += "# TYPE trend_pipeline_proxy_resolutions_total counter\n";
  out += fmt::format("trend_pipeline_proxy_resolutions_total{{mode=\"default\"}} {}\n",
                     proxy_.resolutions(false));
  out += fmt::format("trend_pipeline_proxy_resolutions_total{{mode=\"simple\"}} {}\n",
                     proxy_.resolutions(true));
  return {200, "text/plain; version=0.0.4", out, {}, nullptr};
}

}  // namespace trend
