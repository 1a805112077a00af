// A small HTTP endpoint for a process that is not a web server (`trend worker`): GET /metrics
// (Prometheus text from a callback) and GET /healthz, on 127.0.0.1, one request per connection,
// served by a thread of its own or, for a process that must stay single-threaded (a supervisor
// that forks), by the caller's own loop through Poll.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace trend {

class MetricsEndpoint {
 public:
  enum class Serving { kOwnThread, kCallerPolls };

  // port 0: any free port. Throws InputError when the port cannot be bound.
  MetricsEndpoint(int port, std::function<std::string()> metrics,
                  Serving serving = Serving::kOwnThread);
  ~MetricsEndpoint();
  int port() const;

  // kCallerPolls: waits up to `timeout` for a connection and serves it.
  void Poll(std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace trend
