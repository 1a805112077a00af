// `trend app`: the HTTP service (JSON API under /api/v1) until SIGINT or SIGTERM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/run_guard.hpp"

namespace trend {

struct AppCommandOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8501;
  std::size_t threads = 0;  // event loops and workers; 0: one per core
  bool reuse_port = false;  // share a port another server listens on
  std::string cache = "memory";
  std::size_t cache_mb = 256;
  std::size_t cache_ttl_seconds = 3600;  // shared backends only
  std::string data_dir;                  // datasets also on disk; empty: memory only
  std::size_t dataset_mb = 256;
  std::size_t body_budget_mb = 256;  // request bodies held at once
  // Access: the bearer token's file (else TREND_TOKEN; required off loopback), the paths
  // served without it, and the Host names accepted (empty: loopback names on a loopback
  // address, any elsewhere; "*": any).
  std::string token_file;
  std::vector<std::string> public_paths = {"/healthz", "/api/v1/healthz", "/", "/index.html",
                                           "/assets/*"};
  std::vector<std::string> allowed_hosts;
  std::string access_log = "-";
  std::string error_log = "-";
  WorkLimits limits;                      // per run, as trend run's
  std::uint64_t run_timeout_ms = 60'000;  // 0: none
  std::uint64_t shutdown_grace_ms = 10'000;
  std::string usage_db;  // GET /api/v1/usage reads this database (trend ingest's); empty: 404
  // Jobs (/api/v1/jobs): spread over `trend worker` processes on this broker; empty: run on
  // job_threads threads of this process.
  std::string broker;
  std::string backend;  // empty: the broker
  std::string queue = "trend";
  std::size_t job_threads = 0;  // jobs at once; 0: in process, one per core; on a broker, 16
  std::size_t job_mb = 256;     // finished jobs' results kept in memory
};

int AppCommand(const AppCommandOptions& options);

}  // namespace trend
