// The HTTP/1.1 front of `trend app` on Boost.Beast with C++20 coroutines: one event loop per
// core (each with its own SO_REUSEPORT acceptor), keep-alive, limits on header and body size,
// a deadline for each request (slow clients cannot pin a connection) and for idle keep-alive
// connections, CPU-bound handlers on a separate worker pool so no event loop blocks, the
// combined access log, and a graceful shutdown that stops accepting, lets in-flight requests
// finish within a bound and closes idle connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/http_message.hpp"

namespace trend {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8501;       // 0: any free port (see HttpServer::port)
  std::size_t io_threads = 0;      // 0: one per core
  std::size_t worker_threads = 0;  // 0: one per core
  // Bind the port even when another server listens on it with SO_REUSEPORT (the kernel then
  // shares the connections between them). Off, a port in use is an error.
  bool share_port = false;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  // Request bodies held at once over every connection; a body that would pass it: 503 with
  // Retry-After, and the connection closes (its body is not read).
  std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{10'000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{30'000};     // between keep-alive requests
  // For in-flight requests. When it is running out (its last quarter, at most 3 s) the server
  // calls `cancel_in_flight` so that long handlers stop and answer; at its end the server
  // stops waiting.
  std::chrono::milliseconds shutdown_grace{10'000};
  std::function<void()> cancel_in_flight;
  std::string access_log;  // path, "-" for stderr, empty for none
  // Structured error log, one JSON object per line (server errors, failed handlers, start and
  // stop): path, "-" for stderr, empty for none.
  std::string error_log = "-";

  // Who may ask: checked before routing (401, or 400 for a Host not allowed).
  AccessRules access;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpRouter router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening sockets; throws std::runtime_error naming the address on failure.
  void Start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Serves until Shutdown() (or SIGINT/SIGTERM when `handle_signals`), then returns true once
  // every request has finished. False: a handler was still running when the grace period
  // ended; its worker thread is left running and the caller must end the process (_Exit)
  // instead of destroying what the handler uses.
  bool Run(bool handle_signals);
  // Stops accepting, finishes in-flight requests within the grace period, closes idle
  // connections. Thread-safe; returns at once.
  void Shutdown();

  std::int64_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trend
