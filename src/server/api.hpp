// The JSON API of `trend app` (/api/v1): datasets, runs through the pipeline proxy with the
// result cache, defaults, health, Prometheus metrics, the pipeline debug log and the OpenAPI
// description. Thin: requests are parsed and validated into typed settings here, the engine
// does the work, results are the documents `trend run --json` writes.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "data/returns_frame.hpp"
#include "jobs/job_service.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "pipeline/run_guard.hpp"
#include "server/dataset_store.hpp"
#include "server/http_server.hpp"
#include "server/pipeline_proxy.hpp"
#include "server/result_cache.hpp"
#include "server/run_history.hpp"
#include "server/shared_cache.hpp"

namespace trend {

struct ApiOptions {
  std::size_t dataset_budget_bytes = 256u << 20;
  // Where datasets are also written (<id>.csv) and read back from after eviction or a
  // restart; empty: memory only.
  std::string dataset_dir;
  std::size_t cache_budget_bytes = 256u << 20;
  // The proxy's mode flag; default: TREND_PIPELINE_PROXY_SIMPLE, read on every resolution.
  std::function<bool()> simple_flag;
  // A cache shared with other server processes (Redis, memcached), behind the in-process one.
  std::shared_ptr<SharedResultCache> shared_cache;
  // What one run may ask for (over a limit: 422 naming the flag that raises it) and how long
  // it may take (past it: cancelled, 503); zero: no deadline.
  WorkLimits limits;
  std::chrono::milliseconds run_timeout{60'000};
  // GET /api/v1/usage: the traffic report of `trend ingest report`, when trend app was given
  // --usage-db (the CLI supplies it, so the server knows nothing of databases); else a 404
  // naming the flag.
  std::function<HttpResponse(const HttpRequest&)> usage;
  // /api/v1/jobs: analyses, backtests and sweeps submitted now and fetched later, run in
  // process or on a broker's workers (the CLI chooses); null: those routes answer 404.
  std::shared_ptr<jobs::JobService> jobs;
  // The history of runs (GET /api/v1/runs): kept as files here (trend app --data-dir) so runs
  // survive a restart; empty: the newest max_runs in memory.
  std::string run_dir;
  std::size_t max_runs = 1000;
};

class TrendApi {
 public:
  TrendApi(ApiOptions options, PipelineModuleRegistry& modules);
  ~TrendApi();  // stops the job service's calls into this API
  TrendApi(const TrendApi&) = delete;
  TrendApi& operator=(const TrendApi&) = delete;

  // The router for HttpServer: heavy routes (runs, dataset uploads) go to the worker pool.
  HttpRoute Route(const HttpRequest& request);

  PipelineProxy& proxy() { return proxy_; }

  // Cancels every run in flight (they answer 503 at their next check): the server calls this
  // when its shutdown grace period is running out. Thread-safe.
  void CancelRuns(const std::string& reason);

 private:
  struct RouteStats {
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> errors{0};
    std::array<std::atomic<std::uint64_t>, 10> buckets{};  // latency histogram
    std::atomic<std::uint64_t> micros{0};
  };

  HttpResponse PostDataset(const HttpRequest& request);
  HttpResponse GetDataset(const std::string& id, const HttpRequest& request);
  HttpResponse PostRun(const HttpRequest& request);
  HttpResponse Usage(const HttpRequest& request);
  // /api/v1/runs: the history, a run, its request and its files (server/runs_api.cpp).
  HttpResponse ListRuns(const HttpRequest& request);
  HttpResponse GetRun(std::string_view id_and_more, const HttpRequest& request);
  HttpResponse ExportRun(const RunRecord& record, const HttpRequest& request);
  // Keeps a finished run in the history; a failure to write it is logged, not the client's.
  void RecordRun(RunRecord record, const std::shared_ptr<const std::string>& document);
  // A finished job of a run kind, into the history under its job id.
  void RecordJob(const jobs::JobSnapshot& job, const jobs::JobSpec& spec);
  HttpResponse Defaults(const HttpRequest& request);
  HttpResponse ValidateConfig(const HttpRequest& request);
  HttpResponse Metrics(const HttpRequest& request);
  HttpResponse DebugPipeline(const HttpRequest& request);
  // /api/v1/jobs (server/jobs_api.cpp).
  HttpResponse PostJob(const HttpRequest& request);
  HttpResponse ListJobs(const HttpRequest& request);
  HttpResponse GetJob(std::string_view id_and_more, const HttpRequest& request);
  HttpResponse DeleteJob(std::string_view id, const HttpRequest& request);

  // The body's dataset (an id) or csv (stored now): a 404 or 422 response when neither works.
  std::optional<HttpResponse> ResolveDataset(const nlohmann::json& body, const HttpRequest& request,
                                             std::shared_ptr<const StoredDataset>& out);

  // The modules that answer a run, resolved once per request as the proxy promises.
  struct RunModules {
    ResolvedEntry entry;    // run or run_multi_period
    ResolvedEntry lookups;  // the registries: selection and weighting
  };
  RunModules ResolveRun(bool multi);
  // The id of a run: its request, the engine's version and the modules answering.
  static std::string RunId(const std::string& config_text, const std::string& dataset_id,
                           bool multi, bool strict, const RunModules& modules);
  struct ComputedRun {
    std::optional<AnalysisResult> single;
    std::optional<MultiPeriodResult> multi;
  };
  static ComputedRun Compute(const AnalysisSettings& settings, const StoredDataset& dataset,
                             bool multi, RunGuard& guard, const RunModules& modules);
  // The cached document for a run id: in process first, then the shared backend.
  std::shared_ptr<const std::string> CachedRun(const std::string& run_id, std::string* source);
  struct Endpoint {
    std::string method;
    std::string path;  // exact, or a prefix followed by an id
    bool prefix = false;
    bool heavy = false;  // runs on the worker pool
    std::string label;   // for /metrics
    HttpResponse (*handle)(TrendApi&, const HttpRequest&, std::string_view id);
  };
  static const std::vector<Endpoint>& Endpoints();
  struct Binding {
    TrendApi* api;
    RouteStats* stats;
    const Endpoint* endpoint;  // nullptr: the catch-all
  };
  // Registers a run's guard with CancelRuns while the run is in flight.
  class ActiveRun {
   public:
    ActiveRun(TrendApi& api, RunGuard& guard);
    ~ActiveRun();
    ActiveRun(const ActiveRun&) = delete;
    ActiveRun& operator=(const ActiveRun&) = delete;

   private:
    TrendApi& api_;
    RunGuard& guard_;
  };

  HttpResponse Measure(RouteStats& stats, const Endpoint* endpoint, const HttpRequest& request);
  static HttpResponse Unrouted(const HttpRequest& request);

  ApiOptions options_;
  PipelineProxy proxy_;
  LruResultCache cache_;
  SingleFlight single_flight_;
  DatasetStore datasets_;
  RunHistory history_;
  std::map<std::string, std::unique_ptr<RouteStats>> stats_;  // fixed after construction
  std::vector<Binding> bindings_;                             // one per endpoint, then "other"
  std::atomic<std::uint64_t> cache_hits_{0}, cache_misses_{0}, cache_shared_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::mutex runs_mutex_;
  std::set<RunGuard*> runs_;  // in flight, for CancelRuns
  bool cancelling_ = false;   // set by CancelRuns: later runs start cancelled
  std::atomic<std::uint64_t> runs_cancelled_{0}, runs_over_limit_{0};
};

}  // namespace trend
