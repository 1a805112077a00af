#include "jobs/celery_message.hpp"

#include <cctype>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <fmt/format.h>
#include <array>

namespace trend::jobs {
namespace {

using nlohmann::json;

std::string TextOr(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Protocol 1 kept everything in the body: {"task", "id", "args", "kwargs", ...}.
TaskMessage DecodeVersion1(const json& body) {
  TaskMessage m;
  m.id = TextOr(body, "id");
  m.task = TextOr(body, "task");
  if (m.id.empty()) throw PoisonMessage("protocol 1 body without an id", "", m.task);
  if (m.task.empty()) throw PoisonMessage("protocol 1 body without a task name", m.id, "");
  m.args = body.value("args", json::array());
  m.kwargs = body.value("kwargs", json::object());
  m.retries = body.value("retries", 0);
  m.eta = TextOr(body, "eta");
  m.expires = TextOr(body, "expires");
  return m;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) throw std::invalid_argument("base64: length not a multiple of 4");
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw std::invalid_argument("base64: invalid character");
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

TaskMessage DecodeTask(const json& headers, std::string_view body, std::string_view content_type,
                       std::string_view content_encoding) {
  const std::string header_id = TextOr(headers, "id");
  const std::string header_task = TextOr(headers, "task");
  if (content_type != "application/json") {
    throw PoisonMessage(fmt::format("content type {} is not accepted (only application/json)",
                                    content_type.empty() ? "(none)" : content_type),
                        header_id, header_task);
  }
  if (!content_encoding.empty() && content_encoding != "utf-8" && content_encoding != "utf8") {
    throw PoisonMessage(fmt::format("content encoding {} is not accepted", content_encoding),
                        header_id, header_task);
  }
  json payload;
  try {
    payload = json::parse(body);
  } catch (const json::exception& e) {
    throw PoisonMessage(fmt::format("malformed JSON body: {}", e.what()), header_id, header_task);
  }
  if (header_task.empty()) {
    if (payload.is_object()) return DecodeVersion1(payload);
    throw PoisonMessage("no task name in the headers", header_id, "");
  }
  if (header_id.empty()) throw PoisonMessage("no task id in the headers", "", header_task);
  TaskMessage m;
  m.id = header_id;
  m.task = header_task;
  if (!payload.is_array() || payload.size() < 2 || !payload[0].is_array() ||
      !payload[1].is_object()) {
    throw PoisonMessage("body is not [args, kwargs, embed]", m.id, m.task);
  }
  m.args = std::move(payload[0]);
  m.kwargs = std::move(payload[1]);
  if (const auto it = headers.find("retries"); it != headers.end() && it->is_number_integer())
    m.retries = it->get<int>();
  if (const auto it = headers.find("redelivered"); it != headers.end() && it->is_boolean())
    m.redelivered = it->get<bool>();
  if (const auto it = headers.find("ignore_result"); it != headers.end() && it->is_boolean())
    m.ignore_result = it->get<bool>();
  m.root_id = TextOr(headers, "root_id");
  m.parent_id = TextOr(headers, "parent_id");
  m.group = TextOr(headers, "group");
  m.eta = TextOr(headers, "eta");
  m.expires = TextOr(headers, "expires");
  return m;
}

namespace {

// Celery's headers a worker reads; the others (argsrepr, origin, timelimit, ...) are skipped.
constexpr std::string_view kKeptHeaders[] = {
    "id",      "task",      "retries", "redelivered", "ignore_result",
    "root_id", "parent_id", "group",   "eta",         "expires"};

json ScalarOf(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return json(std::string(value.get_string().value_unsafe()));
    case simdjson::dom::element_type::BOOL:
      return json(value.get_bool().value_unsafe());
    case simdjson::dom::element_type::INT64:
      return json(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return json(value.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return json(value.get_double().value_unsafe());
    case simdjson::dom::element_type::NULL_VALUE:
      return json(nullptr);
    default:
      return json(json::value_t::discarded);  // an object or array: read as absent
  }
}

std::string_view StringOr(simdjson::dom::element value) {
  std::string_view text;
  return value.get(text) == simdjson::SUCCESS ? text : std::string_view();
}

}  // namespace

// simdjson: kombu's envelope is read on every task, and nlohmann's parser took 7 of a trivial
// task's 60 microseconds of worker CPU on it (simdjson: 0.3). Only what a worker uses is
// kept; of a repeated key, the last counts, as in a JSON object read whole.
TaskMessage DecodeRedisEnvelope(std::string_view envelope) {
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string padded(envelope);
  simdjson::dom::element doc;
  if (const auto error = parser.parse(padded).get(doc); error != simdjson::SUCCESS) {
    throw PoisonMessage(fmt::format("malformed JSON message: {}", simdjson::error_message(error)),
                        "", "");
  }
  simdjson::dom::object top;
  if (doc.get(top) != simdjson::SUCCESS) {
    throw PoisonMessage("message is not a JSON object", "", "");
  }
  std::string_view encoded, content_type, content_encoding, body_encoding;
  json headers = json::object();
  bool redelivered = false;
  for (const auto field : top) {
    if (field.key == "body") {
      encoded = StringOr(field.value);
    } else if (field.key == "content-type") {
      content_type = StringOr(field.value);
    } else if (field.key == "content-encoding") {
      content_encoding = StringOr(field.value);
    } else if (field.key == "headers") {
      headers = json::object();
      simdjson::dom::object object;
      if (field.value.get(object) != simdjson::SUCCESS) continue;
      for (const auto header : object) {
        for (std::string_view kept : kKeptHeaders) {
          if (header.key != kept) continue;
          json value = ScalarOf(header.value);
          if (value.is_discarded())
            headers.erase(std::string(kept));
          else
            headers[std::string(kept)] = std::move(value);
        }
      }
    } else if (field.key == "properties") {
      body_encoding = {};
      redelivered = false;
      simdjson::dom::object properties;
      if (field.value.get(properties) != simdjson::SUCCESS) continue;
      for (const auto property : properties) {
        if (property.key == "body_encoding") {
          body_encoding = StringOr(property.value);
        } else if (property.key == "delivery_info") {
          bool flag = false;
          redelivered = property.value["redelivered"].get(flag) == simdjson::SUCCESS && flag;
        }
      }
    }
  }
  std::string body;
  if (body_encoding == "base64") {
    try {
      body = Base64Decode(encoded);
    } catch (const std::invalid_argument& e) {
      throw PoisonMessage(e.what(), TextOr(headers, "id"), TextOr(headers, "task"));
    }
  } else {
    body = encoded;
  }
  TaskMessage m = DecodeTask(headers, body, content_type, content_encoding);
  if (redelivered) m.redelivered = true;
  return m;
}

std::string EncodeBody(const OutgoingTask& task) {
  const json body = json::array(
      {task.args,
       task.kwargs,
       {{"callbacks", nullptr}, {"errbacks", nullptr}, {"chain", nullptr}, {"chord", nullptr}}});
  return body.dump();
}

json TaskHeaders(const OutgoingTask& task, std::string_view origin) {
  return {{"lang", "py"},
          {"task", task.task},
          {"id", task.id},
          {"shadow", nullptr},
          {"eta", nullptr},
          {"expires", nullptr},
          {"group", nullptr},
          {"group_index", nullptr},
          {"retries", 0},
          {"timelimit", json::array({nullptr, nullptr})},
          {"root_id", task.id},
          {"parent_id", nullptr},
          {"argsrepr", task.args.dump()},
          {"kwargsrepr", "{...}"},  // a whole config and dataset would only bloat the logs
          {"origin", origin},
          {"ignore_result", false}};
}

std::string EncodeRedisEnvelope(const OutgoingTask& task, std::string_view origin) {
  const json envelope = {{"body", Base64Encode(EncodeBody(task))},
                         {"content-encoding", "utf-8"},
                         {"content-type", "application/json"},
                         {"headers", TaskHeaders(task, origin)},
                         {"properties",
                          {{"correlation_id", task.id},
                           {"reply_to", ""},
                           {"delivery_mode", 2},
                           {"delivery_info", {{"exchange", ""}, {"routing_key", task.queue}}},
                           {"priority", 0},
                           {"body_encoding", "base64"},
                           {"delivery_tag", MakeTaskId()}}}};
  return envelope.dump();
}

std::optional<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  const std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19)
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::size_t i = 19;
  long long micros = 0;
  if (i < t.size() && t[i] == '.') {
    long long scale = 100000;
    for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
      micros += (t[i] - '0') * scale;
      scale /= 10;
    }
  }
  long long offset_minutes = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(t.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_minutes = (t[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else if (i < t.size() && t[i] == 'Z') {
    ++i;
  }
  if (i != t.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days(date);
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      days + std::chrono::hours(hour) + std::chrono::minutes(minute - offset_minutes) +
      std::chrono::seconds(second) + std::chrono::microseconds(micros));
}

std::string MakeTaskId() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no random bytes for a task id");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
      bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
}

}  // namespace trend::jobs
