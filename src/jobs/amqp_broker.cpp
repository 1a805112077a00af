#include "jobs/amqp_broker.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <fmt/format.h>
#include <sys/time.h>

#include <cctype>
#include <deque>
#include <stdexcept>

namespace trend::jobs {
namespace {

using nlohmann::json;

constexpr amqp_channel_t kChannel = 1;

// The connection went away (a socket error, the broker closed it): made again, with backoff.
class ConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

amqp_bytes_t Bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string Text(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

std::string Decoded(const std::string& url, const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
      throw std::invalid_argument(url + ": a bad %-escape");
    out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

// A reply other than normal: a lost connection, or the broker refusing (a server exception
// closes the channel or the connection, so either way the connection is made again).
void Check(amqp_rpc_reply_t reply, const std::string& what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      throw ConnectionLost(what + ": no reply");
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      throw ConnectionLost(fmt::format("{}: {}", what, amqp_error_string2(reply.library_error)));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD ||
          reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        throw ConnectionLost(fmt::format("{}: the broker closed the channel: {} {}", what,
                                         close->reply_code, Text(close->reply_text)));
      }
      throw ConnectionLost(fmt::format("{}: the broker answered method {:#x}", what,
                                       static_cast<unsigned>(reply.reply.id)));
  }
  throw ConnectionLost(what + ": an unknown reply");
}

void CheckStatus(int status, const std::string& what) {
  if (status != AMQP_STATUS_OK)
    throw ConnectionLost(fmt::format("{}: {}", what, amqp_error_string2(status)));
}

// Celery's headers (JSON) as an AMQP field table and back, with the field kinds py-amqp reads
// and writes: strings as long strings, integers as 64-bit, None as void, lists and dicts
// nested. Everything the table points to lives in this object.
class FieldTable {
 public:
  explicit FieldTable(const json& object) { table_ = TableOf(object); }
  amqp_table_t table() const { return table_; }

 private:
  amqp_table_t TableOf(const json& object) {
    auto& entries = entries_.emplace_back();
    for (const auto& [key, value] : object.items()) {
      amqp_table_entry_t entry{};
      entry.key = Bytes(strings_.emplace_back(key));
      entry.value = ValueOf(value);
      entries.push_back(entry);
    }
    return amqp_table_t{static_cast<int>(entries.size()), entries.data()};
  }

  amqp_field_value_t ValueOf(const json& value) {
    amqp_field_value_t v{};
    if (value.is_null()) {
      v.kind = AMQP_FIELD_KIND_VOID;
    } else if (value.is_boolean()) {
      v.kind = AMQP_FIELD_KIND_BOOLEAN;
      v.value.boolean = value.get<bool>();
    } else if (value.is_number_integer()) {
      v.kind = AMQP_FIELD_KIND_I64;
      v.value.i64 = value.get<std::int64_t>();
    } else if (value.is_number()) {
      v.kind = AMQP_FIELD_KIND_F64;
      v.value.f64 = value.get<double>();
    } else if (value.is_string()) {
      v.kind = AMQP_FIELD_KIND_UTF8;
      v.value.bytes = Bytes(strings_.emplace_back(value.get<std::string>()));
    } else if (value.is_array()) {
      auto& items = arrays_.emplace_back();
      for (const auto& item : value) items.push_back(ValueOf(item));
      v.kind = AMQP_FIELD_KIND_ARRAY;
      v.value.array = amqp_array_t{static_cast<int>(items.size()), items.data()};
    } else {
      v.kind = AMQP_FIELD_KIND_TABLE;
      v.value.table = TableOf(value);
    }
    return v;
  }

  // Deques: what was handed out keeps its address as more is added. Each vector is filled
  // before its data() is taken, and never grows after.
  std::deque<std::string> strings_;
  std::deque<std::vector<amqp_table_entry_t>> entries_;
  std::deque<std::vector<amqp_field_value_t>> arrays_;
  amqp_table_t table_{};
};

json JsonOf(const amqp_field_value_t& v);

json JsonOf(const amqp_table_t& table) {
  json out = json::object();
  for (int i = 0; i < table.num_entries; ++i)
    out[Text(table.entries[i].key)] = JsonOf(table.entries[i].value);
  return out;
}

json JsonOf(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_BOOLEAN:
      return v.value.boolean != 0;
    case AMQP_FIELD_KIND_I8:
      return v.value.i8;
    case AMQP_FIELD_KIND_U8:
      return v.value.u8;
    case AMQP_FIELD_KIND_I16:
      return v.value.i16;
    case AMQP_FIELD_KIND_U16:
      return v.value.u16;
    case AMQP_FIELD_KIND_I32:
      return v.value.i32;
    case AMQP_FIELD_KIND_U32:
      return v.value.u32;
    case AMQP_FIELD_KIND_I64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      return v.value.i64;
    case AMQP_FIELD_KIND_U64:
      return v.value.u64;
    case AMQP_FIELD_KIND_F32:
      return v.value.f32;
    case AMQP_FIELD_KIND_F64:
      return v.value.f64;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return Text(v.value.bytes);
    case AMQP_FIELD_KIND_ARRAY: {
      json out = json::array();
      for (int i = 0; i < v.value.array.num_entries; ++i)
        out.push_back(JsonOf(v.value.array.entries[i]));
      return out;
    }
    case AMQP_FIELD_KIND_TABLE:
      return JsonOf(v.value.table);
    default:  // void, and decimals no Celery header carries
      return nullptr;
  }
}

timeval TimevalOf(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

}  // namespace

AmqpEndpoint ParseAmqpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "amqp://";
  if (url.rfind(kScheme, 0) != 0)
    throw std::invalid_argument(url + ": expected amqp://[user[:password]@]host[:port][/vhost]");
  AmqpEndpoint e;
  std::string rest = url.substr(kScheme.size());
  e.url = url;
  if (const std::size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string user_info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = user_info.find(':');
    e.user = Decoded(url, user_info.substr(0, colon));
    if (colon != std::string::npos) {
      e.password = Decoded(url, user_info.substr(colon + 1));
      e.url = fmt::format("amqp://{}:***@{}", user_info.substr(0, colon), rest);
    }
  }
  if (const std::size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string vhost = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    // kombu: "amqp://host//" and "amqp://host/" both mean the vhost "/".
    e.vhost = vhost.empty() || vhost == "/" ? "/" : Decoded(url, vhost);
  }
  const std::size_t colon = rest.rfind(':');
  e.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument(url + ": the port is not a number");
    e.port = std::stoi(port);
  }
  if (e.host.empty()) throw std::invalid_argument(url + ": no host");
  if (e.port < 1 || e.port > 65535)
    throw std::invalid_argument(url + ": the port must be between 1 and 65535");
  return e;
}

// One connection with channel 1 open: rabbitmq-c's state, closed and freed with it.
class AmqpBroker::Connection {
 public:
  Connection(const AmqpEndpoint& endpoint, std::chrono::milliseconds timeout)
      : state_(amqp_new_connection()) {
    if (!state_) throw std::bad_alloc();
    amqp_socket_t* socket = amqp_tcp_socket_new(state_);
    if (!socket) throw ConnectionLost("cannot make a socket");
    timeval connect_timeout = TimevalOf(timeout);
    CheckStatus(
        amqp_socket_open_noblock(socket, endpoint.host.c_str(), endpoint.port, &connect_timeout),
        fmt::format("connecting to {}:{}", endpoint.host, endpoint.port));
    open_ = true;
    timeval rpc_timeout = TimevalOf(timeout);
    amqp_set_rpc_timeout(state_, &rpc_timeout);
    // No heartbeats: a task may compute for minutes without touching the connection, and a
    // dead worker's socket is closed by its kernel, which the broker sees at once.
    Check(amqp_login(state_, endpoint.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                     endpoint.user.c_str(), endpoint.password.c_str()),
          fmt::format("logging in to {} as {}", endpoint.url, endpoint.user));
    amqp_channel_open(state_, kChannel);
    Check(amqp_get_rpc_reply(state_), "opening a channel");
  }
  ~Connection() {
    if (open_) {
      amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
      amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  amqp_connection_state_t state() const { return state_; }
  void Broken() { open_ = false; }  // closes no further: the socket is gone

 private:
  amqp_connection_state_t state_;
  bool open_ = false;
};

AmqpBroker::AmqpBroker(const std::string& url, BrokerOptions options)
    : endpoint_(ParseAmqpUrl(url)),
      options_(std::move(options)),
      reconnector_("broker " + endpoint_.url, options_.stop) {}

AmqpBroker::~AmqpBroker() = default;

AmqpBroker::Connection& AmqpBroker::Connected() {
  while (!connection_) {
    try {
      connection_ = std::make_unique<Connection>(endpoint_, options_.timeout);
      ++generation_;
      declared_.clear();
      consuming_ = false;
      reconnector_.Succeeded();
    } catch (const ConnectionLost& error) {
      reconnector_.Failed(error);  // logs, waits; throws BrokerStopped when stopping
    }
  }
  return *connection_;
}

template <class Step>
auto AmqpBroker::Retrying(Step step) {
  for (;;) {
    Connection& c = Connected();
    try {
      return step(c);
    } catch (const ConnectionLost& error) {
      c.Broken();
      connection_.reset();
      reconnector_.Failed(error);
    }
  }
}

void AmqpBroker::Declare(const std::string& queue) {
  if (declared_.count(queue)) return;
  amqp_connection_state_t s = connection_->state();
  // As kombu declares Celery's queues: a durable direct exchange named after the queue, a
  // durable queue, bound by the queue's name. Other arguments would not match Celery's own
  // declarations, and the broker would refuse one of the two.
  amqp_exchange_declare(s, kChannel, Bytes(queue), amqp_cstring_bytes("direct"), 0, 1, 0, 0,
                        amqp_empty_table);
  Check(amqp_get_rpc_reply(s), "declaring exchange " + queue);
  amqp_queue_declare(s, kChannel, Bytes(queue), 0, 1, 0, 0, amqp_empty_table);
  Check(amqp_get_rpc_reply(s), "declaring queue " + queue);
  amqp_queue_bind(s, kChannel, Bytes(queue), Bytes(queue), Bytes(queue), amqp_empty_table);
  Check(amqp_get_rpc_reply(s), "binding queue " + queue);
  declared_.insert(queue);
}

std::vector<Delivery> AmqpBroker::Fetch(std::size_t max, std::chrono::milliseconds wait) {
  return Retrying([&](Connection& c) {
    amqp_connection_state_t s = c.state();
    if (!consuming_) {
      for (const auto& queue : options_.queues) Declare(queue);
      SetPrefetch(c, max);
      for (const auto& queue : options_.queues) {
        amqp_basic_consume(s, kChannel, Bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
        Check(amqp_get_rpc_reply(s), "consuming from " + queue);
      }
      consuming_ = true;
    } else if (prefetch_ != max) {
      SetPrefetch(c, max);  // a worker holding tasks for their ETA takes more
    }
    std::vector<Delivery> out;
    while (out.size() < max) {
      amqp_maybe_release_buffers(s);
      // The first message may be waited for; the rest only taken if already here.
      timeval timeout = TimevalOf(out.empty() ? wait : std::chrono::milliseconds(0));
      amqp_envelope_t envelope{};
      const amqp_rpc_reply_t reply = amqp_consume_message(s, &envelope, &timeout, 0);
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_TIMEOUT)
        break;
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // A frame other than a delivery: the broker closing the channel or cancelling us.
        amqp_frame_t frame;
        CheckStatus(amqp_simple_wait_frame(s, &frame), "reading from the broker");
        if (frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
             frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
             frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD))
          throw ConnectionLost("the broker closed the channel or cancelled the consumer");
        continue;
      }
      Check(reply, "receiving");
      Delivery d;
      d.tag = fmt::format("{}:{}", generation_, envelope.delivery_tag);
      const amqp_basic_properties_t& p = envelope.message.properties;
      const json headers =
          (p._flags & AMQP_BASIC_HEADERS_FLAG) ? JsonOf(p.headers) : json::object();
      const std::string content_type =
          (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) ? Text(p.content_type) : "";
      const std::string content_encoding =
          (p._flags & AMQP_BASIC_CONTENT_ENCODING_FLAG) ? Text(p.content_encoding) : "";
      try {
        d.message =
            DecodeTask(headers, Text(envelope.message.body), content_type, content_encoding);
        d.message->redelivered = envelope.redelivered != 0;
      } catch (const PoisonMessage& poison) {
        d.poison = poison;
      }
      amqp_destroy_envelope(&envelope);
      out.push_back(std::move(d));
    }
    return out;
  });
}

void AmqpBroker::SetPrefetch(Connection& c, std::size_t count) {
  // The broker sends at most this many messages not yet acknowledged: the worker's prefetch.
  amqp_basic_qos(c.state(), kChannel, 0,
                 static_cast<std::uint16_t>(std::min<std::size_t>(count, 65535)), 0);
  Check(amqp_get_rpc_reply(c.state()), "setting the prefetch");
  prefetch_ = count;
}

bool AmqpBroker::CurrentTag(const std::string& tag, std::uint64_t& delivery_tag) const {
  const std::size_t colon = tag.find(':');
  if (colon == std::string::npos || !connection_) return false;
  if (tag.compare(0, colon, std::to_string(generation_)) != 0) return false;
  delivery_tag = std::stoull(tag.substr(colon + 1));
  return true;
}

void AmqpBroker::Ack(const std::vector<std::string>& tags) {
  // A tag of an earlier connection is not acknowledged: the broker put its message back when
  // that connection dropped, and the worker that takes it finds its result stored and skips
  // it. Nor is one whose connection drops now, for the same reason.
  try {
    for (const auto& tag : tags) {
      std::uint64_t delivery_tag = 0;
      if (!CurrentTag(tag, delivery_tag)) continue;
      CheckStatus(amqp_basic_ack(connection_->state(), kChannel, delivery_tag, 0), "acknowledging");
    }
  } catch (const ConnectionLost&) {
    connection_->Broken();
    connection_.reset();
  }
}

void AmqpBroker::Requeue(const std::vector<std::string>& tags) {
  try {
    for (const auto& tag : tags) {
      std::uint64_t delivery_tag = 0;
      if (!CurrentTag(tag, delivery_tag)) continue;
      CheckStatus(amqp_basic_reject(connection_->state(), kChannel, delivery_tag, 1),
                  "handing back");
    }
  } catch (const ConnectionLost&) {  // dropped: the broker hands them back itself
    connection_->Broken();
    connection_.reset();
  }
}

void AmqpBroker::Publish(const OutgoingTask& task) {
  const std::string body = EncodeBody(task);
  const FieldTable headers(TaskHeaders(task, "trend"));
  Retrying([&](Connection& c) {
    Declare(task.queue);
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
               AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG |
               AMQP_BASIC_CORRELATION_ID_FLAG | AMQP_BASIC_REPLY_TO_FLAG;
    p.content_type = amqp_cstring_bytes("application/json");
    p.content_encoding = amqp_cstring_bytes("utf-8");
    p.headers = headers.table();
    p.delivery_mode = 2;  // persistent, as Celery sends
    p.priority = 0;
    p.correlation_id = Bytes(task.id);
    p.reply_to = amqp_cstring_bytes("");
    CheckStatus(amqp_basic_publish(c.state(), kChannel, Bytes(task.queue), Bytes(task.queue), 0, 0,
                                   &p, Bytes(body)),
                "publishing to " + task.queue);
    return 0;
  });
}

std::size_t AmqpBroker::QueueLength(const std::string& queue) {
  return Retrying([&](Connection& c) {
    // Declared as Celery declares it: the length of a queue nobody made yet is 0.
    amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(c.state(), kChannel, Bytes(queue), 0, 1, 0, 0, amqp_empty_table);
    Check(amqp_get_rpc_reply(c.state()), "declaring queue " + queue);
    return static_cast<std::size_t>(ok->message_count);
  });
}

}  // namespace trend::jobs
