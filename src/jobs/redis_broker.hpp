// kombu's Redis transport, as Celery's workers use it: a queue is a list (LPUSH to send, pop
// from the right), priorities 3/6/9 are lists named queue + "\x06\x16" + priority, and a
// fetched message is kept in the `unacked` hash (tag -> [message, exchange, routing_key]) with
// its time in the `unacked_index` sorted set until acknowledged. What a dead worker left there
// longer than the visibility timeout goes back to its queue, marked redelivered.
//
// Unlike kombu, the pop and the bookkeeping are one Lua script: a worker killed between the
// two cannot lose the message. And a running task's time is refreshed (Touch), so a long task
// is not redelivered while its worker lives, while a dead worker's is, one visibility timeout
// after its last refresh.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "jobs/broker.hpp"
#include "jobs/resilient_redis.hpp"

namespace trend::jobs {

class RedisBroker final : public Broker {
 public:
  RedisBroker(const std::string& url, BrokerOptions options);
  ~RedisBroker() override;  // sends the acknowledgements still waiting

  std::vector<Delivery> Fetch(std::size_t max, std::chrono::milliseconds wait) override;
  // Sent with the next Fetch (one round trip for both), or by Requeue or the destructor. A
  // worker that dies first leaves them to be restored, and their stored results keep them from
  // running again.
  void Ack(const std::vector<std::string>& tags) override;
  void Requeue(const std::vector<std::string>& tags) override;
  void Touch(const std::vector<std::string>& tags) override;
  std::size_t RestoreExpired() override;
  void Publish(const OutgoingTask& task) override;
  std::size_t QueueLength(const std::string& queue) override;
  std::string url() const override { return redis_.endpoint().url; }
  bool SendWithNextFetch(const RedisEndpoint& server,
                         std::vector<std::vector<std::string>>& commands) override;

 private:
  BrokerOptions options_;
  ResilientRedis redis_;
  std::vector<std::string> lists_;  // every queue's lists, in kombu's order of priority
  std::vector<std::string> pending_acks_;
  // Other databases' commands for the next round trip, by database.
  std::vector<std::pair<int, std::vector<std::string>>> pending_commands_;
  // Fetch tags are "trend.<instance>.<fetch>.<n>": unique to this broker and fetch.
  std::string instance_;
  std::uint64_t fetches_ = 0;
  // Fetches sent whose replies have not come (prefix, most messages asked): undone before the
  // next one.
  std::vector<std::pair<std::string, std::size_t>> unanswered_fetches_;
  bool queue_was_short_ = true;                 // the last fetch got fewer than it asked for
  std::chrono::milliseconds idle_interval_{0};  // a poller's next pause (0: idle_poll)

  // Appends what waits to go (other databases' commands, then the acknowledgements); returns
  // how many replies they add.
  // Appends what waits to go; returns how many replies it adds, and the least bytes they hold.
  struct Appended {
    std::size_t replies = 0;
    std::size_t least_bytes = 0;
  };
  Appended AppendPending(RedisClient& c);
  void SendPending();
};

}  // namespace trend::jobs
