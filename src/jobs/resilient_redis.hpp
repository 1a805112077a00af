// A Redis connection that outlives outages: a step that fails on a broken connection is
// retried on a new one, with the reconnector's backoff, until it succeeds or the worker stops.
// Steps must be safe to repeat (they are: pops are scripts that keep what they take in the
// unacked hash, and acknowledgements and results are idempotent).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "jobs/reconnector.hpp"
#include "jobs/redis_client.hpp"

namespace trend::jobs {

class ResilientRedis {
 public:
  ResilientRedis(RedisEndpoint endpoint, std::chrono::milliseconds timeout, const std::string& what,
                 const std::atomic<bool>* stop)
      : endpoint_(std::move(endpoint)),
        timeout_(timeout),
        reconnector_(what + " " + endpoint_.url, stop) {}

  template <typename Step>
  auto Run(Step&& step) -> decltype(step(std::declval<RedisClient&>())) {
    for (;;) {
      try {
        if (!client_) client_ = std::make_unique<RedisClient>(endpoint_, timeout_);
        auto result = step(*client_);
        reconnector_.Succeeded();
        return result;
      } catch (const RedisError& error) {
        client_.reset();
        reconnector_.Failed(error);
      }
    }
  }

  const RedisEndpoint& endpoint() const { return endpoint_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  RedisEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
  Reconnector reconnector_;
  std::unique_ptr<RedisClient> client_;
};

// Throws RedisError for an error reply, naming what was being done.
void CheckReply(const RedisReply& reply, const char* what);

}  // namespace trend::jobs
