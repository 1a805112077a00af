#include "jobs/job_client.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "error/input_error.hpp"

namespace trend::jobs {

std::string BackendUrlFor(const std::string& broker_url, const std::string& backend_url) {
  if (!backend_url.empty()) return backend_url;
  if (broker_url.rfind("redis://", 0) == 0) return broker_url;
  throw std::invalid_argument(
      fmt::format("{}: results are stored in Redis; give --backend redis://host:port/db",
                  BrokerDisplayUrl(broker_url)));
}

JobClient ConnectJobClient(const std::string& broker_url, const std::string& backend_url,
                           const std::string& queue, const std::atomic<bool>* stop) {
  JobClient c;
  BrokerOptions broker_options;
  broker_options.queues = {queue};
  broker_options.stop = stop;
  BackendOptions backend_options;
  backend_options.stop = stop;
  try {
    c.broker = ConnectBroker(broker_url, broker_options);
    c.backend = std::make_unique<RedisResultBackend>(BackendUrlFor(broker_url, backend_url),
                                                     backend_options);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("--broker/--backend: {}", e.what()));
  }
  return c;
}

}  // namespace trend::jobs
