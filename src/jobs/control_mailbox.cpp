#include "jobs/control_mailbox.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "jobs/celery_message.hpp"
#include "jobs/resilient_redis.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

constexpr const char* kReplyExchange = "reply.celery.pidbox";
constexpr const char* kSeparator = "\x06\x16";  // kombu's field separator in bindings

}  // namespace

std::optional<json> ControlReply(const json& request, const std::string& node) {
  const json destination = request.value("destination", json());
  if (destination.is_array()) {
    bool mine = false;
    for (const auto& d : destination) mine |= d.is_string() && d.get<std::string>() == node;
    if (!mine) return std::nullopt;
  }
  const std::string method = request.value("method", std::string());
  if (method == "ping") return json{{node, {{"ok", "pong"}}}};
  return json{{node, {{"error", fmt::format("No such control command: {}", method)}}}};
}

ControlMailbox::ControlMailbox(const std::string& broker_url, std::string node)
    : endpoint_(ParseRedisUrl(broker_url)), node_(std::move(node)), thread_([this] { Listen(); }) {}

ControlMailbox::~ControlMailbox() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    if (subscriber_) subscriber_->ShutDown();  // ends the blocked read
  }
  thread_.join();
}

void ControlMailbox::Listen() {
  const std::string channel = fmt::format("/{}.celery.pidbox", endpoint_.db);
  for (;;) {
    try {
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        subscriber_ = std::make_unique<RedisClient>(endpoint_, std::chrono::seconds(5));
      }
      CheckReply(subscriber_->Command({"SUBSCRIBE", channel}), "subscribing to the pidbox");
      subscriber_->SetTimeout(std::chrono::milliseconds(0));  // wait as long as it takes
      for (;;) {
        const RedisReply message = subscriber_->Receive();
        // ["message", channel, payload]
        if (message.elements.size() == 3 && message.elements[0].text == "message")
          Answer(message.elements[2].text);
      }
    } catch (const std::exception&) {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      subscriber_.reset();
    }
    // The broker went away: the worker's own loop says so; try again in a second.
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void ControlMailbox::Answer(const std::string& envelope_text) {
  const json envelope = json::parse(envelope_text, nullptr, false);
  if (!envelope.is_object() || !envelope.contains("body") || !envelope["body"].is_string()) return;
  json request;
  try {
    request = json::parse(Base64Decode(envelope["body"].get<std::string>()));
  } catch (const std::exception&) {
    return;  // not a control message of ours to read
  }
  if (!request.is_object()) return;
  const json reply_to = request.value("reply_to", json());
  const std::string ticket = request.value("ticket", std::string());
  if (!reply_to.is_object() || ticket.empty()) return;  // a cast: nothing to answer
  const auto reply = ControlReply(request, node_);
  if (!reply) return;
  const std::string routing_key = reply_to.value("routing_key", std::string());
  const json message = {
      {"body", Base64Encode(reply->dump())},
      {"content-encoding", "utf-8"},
      {"content-type", "application/json"},
      {"headers", {{"ticket", ticket}, {"clock", 1}}},
      {"properties",
       {{"delivery_mode", 1},
        {"delivery_info", {{"exchange", kReplyExchange}, {"routing_key", routing_key}}},
        {"priority", 0},
        {"body_encoding", "base64"},
        {"delivery_tag", MakeTaskId()}}}};
  if (!publisher_) publisher_ = std::make_unique<RedisClient>(endpoint_, std::chrono::seconds(5));
  // A direct exchange on kombu's Redis transport: the queues bound with this routing key.
  const RedisReply bindings =
      publisher_->Command({"SMEMBERS", fmt::format("_kombu.binding.{}", kReplyExchange)});
  const std::string text = message.dump();
  for (const auto& binding : bindings.elements) {
    const std::string& b = binding.text;
    const std::size_t first = b.find(kSeparator);
    if (first == std::string::npos || b.compare(0, first, routing_key) != 0) continue;
    const std::size_t second = b.find(kSeparator, first + 2);
    if (second == std::string::npos) continue;
    publisher_->Command({"LPUSH", b.substr(second + 2), text});
  }
}

}  // namespace trend::jobs
