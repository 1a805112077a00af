// Celery's remote control on a Redis broker, as far as monitoring needs it: `celery inspect
// ping` (and `app.control.ping()`) get "pong" from every trend worker process. kombu sends a
// broadcast as a message PUBLISHed on the channel "/<db>.celery.pidbox"; the answer goes to
// the direct exchange "reply.celery.pidbox", whose bindings kombu keeps in the set
// "_kombu.binding.reply.celery.pidbox", as a message pushed onto the bound reply queue with
// the request's ticket in its headers. Other commands are answered with Celery's "no such
// control command" error. RabbitMQ brokers get no mailbox (yet): /healthz and /metrics serve.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "jobs/redis_client.hpp"

namespace trend::jobs {

// The answer to one control request (the body kombu sent, decoded), or nullopt when it is not
// for `node` (another destination). Exposed for tests.
std::optional<nlohmann::json> ControlReply(const nlohmann::json& request, const std::string& node);

class ControlMailbox {
 public:
  // Listens on its own connection and thread until destroyed. `node`: the worker's name.
  ControlMailbox(const std::string& broker_url, std::string node);
  ~ControlMailbox();
  ControlMailbox(const ControlMailbox&) = delete;
  ControlMailbox& operator=(const ControlMailbox&) = delete;

 private:
  void Listen();
  void Answer(const std::string& envelope);

  RedisEndpoint endpoint_;
  std::string node_;
  std::mutex mutex_;
  bool stop_ = false;                        // under mutex_
  std::unique_ptr<RedisClient> subscriber_;  // under mutex_: made by the thread, shut down by
                                             // the destructor to end a blocked read
  std::unique_ptr<RedisClient> publisher_;   // the thread's own
  std::thread thread_;
};

}  // namespace trend::jobs
