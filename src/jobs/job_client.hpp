// The client side of the job queue for the commands that spread work over `trend worker`
// processes (trend sweep --broker, trend run --multi-period --broker, trend app --broker): one
// broker connection to publish on and one result backend to read from.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "jobs/broker.hpp"
#include "jobs/result_backend.hpp"

namespace trend::jobs {

struct JobClient {
  std::unique_ptr<Broker> broker;
  std::unique_ptr<RedisResultBackend> backend;
};

// The result backend: `backend_url`, or the broker's own URL when that is Redis. Throws
// std::invalid_argument when neither is a Redis URL (an amqp:// broker needs --backend).
std::string BackendUrlFor(const std::string& broker_url, const std::string& backend_url);

// `backend_url` empty: the broker's. `stop` (a signal) ends a wait to reconnect. Throws
// InputError for a URL that is not understood.
JobClient ConnectJobClient(const std::string& broker_url, const std::string& backend_url,
                           const std::string& queue, const std::atomic<bool>* stop);

}  // namespace trend::jobs
