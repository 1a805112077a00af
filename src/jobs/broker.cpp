#include "jobs/broker.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "jobs/amqp_broker.hpp"
#include "jobs/redis_broker.hpp"
#include "jobs/redis_client.hpp"

namespace trend::jobs {

std::unique_ptr<Broker> ConnectBroker(const std::string& url, const BrokerOptions& options) {
  if (url.rfind("redis://", 0) == 0) return std::make_unique<RedisBroker>(url, options);
  if (url.rfind("amqp://", 0) == 0) return std::make_unique<AmqpBroker>(url, options);
  throw std::invalid_argument(fmt::format(
      "{}: unknown broker; expected redis://host:port/db or amqp://user:password@host:port/vhost",
      url));
}

std::string BrokerDisplayUrl(const std::string& url) {
  if (url.rfind("amqp://", 0) == 0) return ParseAmqpUrl(url).url;
  if (url.rfind("redis://", 0) == 0) return ParseRedisUrl(url).url;
  ConnectBroker(url, {});  // throws, naming the schemes
  return url;
}

}  // namespace trend::jobs
