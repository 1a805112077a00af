// A small HTTP endpoint for a process that is not a web server (`trend worker`): GET /metrics
// (Prometheus text from a callback) and GET /healthz, on 127.0.0.1, one request per connection,
// served by one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace trend {

class MetricsEndpoint {
 public:
  // port 0: any free port. Throws InputError when the port cannot be bound.
  MetricsEndpoint(int port, std::function<std::string()> metrics);
  ~MetricsEndpoint();
  int port() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace trend
