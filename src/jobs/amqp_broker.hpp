// kombu's AMQP transport as Celery uses it on RabbitMQ, through rabbitmq-c (Debian's
// librabbitmq-dev): a queue Q is a durable queue bound to a durable direct exchange Q with
// routing key Q; a task is a persistent message whose body is the JSON [args, kwargs, embed]
// and whose headers are Celery's protocol 2 headers. A worker consumes with manual
// acknowledgement under basic.qos (its prefetch); a message it has not acknowledged when its
// connection drops (the worker died) goes back to the queue at once, marked redelivered, so
// there is nothing to restore and nothing to touch.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "jobs/broker.hpp"

namespace trend::jobs {

struct AmqpEndpoint {
  std::string host;
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string url;  // as given, for messages (the password masked)
};
// amqp://[user[:password]@]host[:port][/vhost], as kombu reads it ("//" and "/" are the
// vhost "/", %2F decoded). Throws std::invalid_argument naming the URL.
AmqpEndpoint ParseAmqpUrl(const std::string& url);

class AmqpBroker final : public Broker {
 public:
  AmqpBroker(const std::string& url, BrokerOptions options);
  ~AmqpBroker() override;

  std::vector<Delivery> Fetch(std::size_t max, std::chrono::milliseconds wait) override;
  void Ack(const std::vector<std::string>& tags) override;
  void Requeue(const std::vector<std::string>& tags) override;
  void Touch(const std::vector<std::string>&) override {}  // held while the connection lives
  std::size_t RestoreExpired() override { return 0; }      // the broker redelivers at once
  void Publish(const OutgoingTask& task) override;
  std::size_t QueueLength(const std::string& queue) override;
  std::string url() const override { return endpoint_.url; }

 private:
  class Connection;
  // The connection, made (with backoff, while the broker is away) when there is none.
  Connection& Connected();
  // Runs `step` on a live connection; a lost connection is dropped and `step` retried on a
  // new one, with backoff.
  template <class Step>
  auto Retrying(Step step);
  void Declare(const std::string& queue);
  void SetPrefetch(Connection& c, std::size_t count);
  // The delivery tag of a tag this connection gave out; none for an earlier connection's
  // (the broker has already put those messages back).
  bool CurrentTag(const std::string& tag, std::uint64_t& delivery_tag) const;

  AmqpEndpoint endpoint_;
  BrokerOptions options_;
  std::unique_ptr<Connection> connection_;
  std::uint64_t generation_ = 0;  // connections made: tags say which one gave them out
  bool consuming_ = false;
  std::size_t prefetch_ = 0;
  std::set<std::string> declared_;  // queues declared on this connection
  Reconnector reconnector_;
};

}  // namespace trend::jobs
