// Where tasks wait: a broker holding queues of Celery messages. Transports (Redis, AMQP) sit
// behind this one interface; the worker and the client never know which one they talk to.
// Delivery is at least once: a fetched message stays the worker's until acknowledged, and a
// worker that dies leaves it to be delivered again (Redis: after the visibility timeout;
// AMQP: when the connection drops).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobs/celery_message.hpp"
#include "jobs/reconnector.hpp"
#include "jobs/redis_client.hpp"

namespace trend::jobs {

// A claim the broker took in its fetch (see BrokerOptions::claims), as it read the message.
struct FetchedClaim {
  std::string id;            // the task id it found (empty: none, nothing was claimed)
  bool redelivered = false;  // what it took the message for
  std::string outcome;       // "run", "done" or "busy", as ClaimOutcome
};

struct Delivery {
  std::string tag;                     // the transport's handle for Ack / Requeue / Touch
  std::optional<TaskMessage> message;  // unset: a poison message, `poison` says why
  std::optional<PoisonMessage> poison;
  std::optional<FetchedClaim> claim;
};

// Claims taken by the fetch itself when the result backend is a database of the broker's own
// Redis server: a task that arrives alone then costs one round trip, not two.
struct FetchClaims {
  int backend_db = 0;
  std::string worker;
  std::chrono::seconds ttl{3600};
};

struct BrokerOptions {
  std::vector<std::string> queues = {"trend"};
  std::chrono::seconds visibility_timeout{3600};  // Redis: unacked this long is redelivered
  std::chrono::milliseconds timeout{5000};        // connect and per command
  // Set when the worker is stopping: a broker waiting to reconnect gives up and throws.
  const std::atomic<bool>* stop = nullptr;
  std::optional<FetchClaims> claims;  // Redis brokers only; others ignore it
  // Redis: a fetch that finds the queue empty looks again this often rather than waiting on
  // the list: every process waiting on a list is woken by each message, and all but one find
  // nothing, a round trip wasted per process. Unset: wait (one process of a group should).
  // Empty looks in a row double the interval up to kIdlePollCeiling (a look costs about as
  // much CPU as a trivial task in a VM: at 20 ms, 7 ms of CPU a second for an idle process);
  // a look that finds work starts again at idle_poll.
  std::optional<std::chrono::milliseconds> idle_poll;
  static constexpr std::chrono::milliseconds kIdlePollCeiling{160};
};

class Broker {
 public:
  virtual ~Broker() = default;
  // Up to `max` messages, in the order they were sent; waits at most `wait` for the first.
  // A broken connection is re-established with backoff (logged), not thrown.
  virtual std::vector<Delivery> Fetch(std::size_t max, std::chrono::milliseconds wait) = 0;
  // Done with these: they will not be delivered again.
  virtual void Ack(const std::vector<std::string>& tags) = 0;
  // Not started: back to the front of their queue for another worker (a worker stopping).
  virtual void Requeue(const std::vector<std::string>& tags) = 0;
  // Still running: keeps them from being redelivered while their worker lives.
  virtual void Touch(const std::vector<std::string>& tags) = 0;
  // Delivers again what dead workers left unacknowledged past the visibility timeout; returns
  // how many. Nothing to do where the broker does it itself (AMQP).
  virtual std::size_t RestoreExpired() = 0;
  virtual void Publish(const OutgoingTask& task) = 0;
  // Messages waiting in `queue` (not counting those delivered and unacknowledged).
  virtual std::size_t QueueLength(const std::string& queue) = 0;
  virtual std::string url() const = 0;
  // Commands for another database of the broker's own Redis server (a result backend there),
  // to go out in the next Fetch's round trip, ahead of the acknowledgements: a task that
  // arrives alone then costs one round trip fewer. False when this broker cannot (another
  // server, or not Redis); the caller sends them itself.
  virtual bool SendWithNextFetch(const RedisEndpoint& server,
                                 std::vector<std::vector<std::string>>& commands) {
    (void)server;
    (void)commands;
    return false;
  }
};

// redis://... (kombu's Redis transport) or amqp://... (RabbitMQ). Connections are made on
// first use. Throws std::invalid_argument for an unknown scheme or a malformed URL.
std::unique_ptr<Broker> ConnectBroker(const std::string& url, const BrokerOptions& options);
// The URL with its password masked, for messages. Throws as ConnectBroker does.
std::string BrokerDisplayUrl(const std::string& url);

}  // namespace trend::jobs
