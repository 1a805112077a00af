#include "jobs/broker.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "jobs/redis_broker.hpp"

namespace trend::jobs {

std::unique_ptr<Broker> ConnectBroker(const std::string& url, const BrokerOptions& options) {
  if (url.rfind("redis://", 0) == 0) return std::make_unique<RedisBroker>(url, options);
  throw std::invalid_argument(
      fmt::format("{}: unknown broker; expected redis://host:port/db", url));
}

}  // namespace trend::jobs
