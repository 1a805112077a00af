// Celery's task message, protocol version 2 with the JSON serializer: task name and id in the
// headers, the body [args, kwargs, embed]. Read from kombu's Redis envelope (the body base64
// in a JSON document with headers and properties) or from an AMQP message's parts, and written
// in the same envelope so that Celery's own workers could run what we send.
#pragma once

#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trend::jobs {

struct TaskMessage {
  std::string id;
  std::string task;
  nlohmann::json args = nlohmann::json::array();
  nlohmann::json kwargs = nlohmann::json::object();
  int retries = 0;
  bool redelivered = false;
  bool ignore_result = false;
  std::string root_id;
  std::string parent_id;
  std::string group;
  std::string eta;      // ISO 8601, empty when none
  std::string expires;  // ISO 8601, empty when none
};

// A message that cannot run. `id` is set when the task id could be read, so that a FAILURE
// result can be stored for the client waiting on it.
class PoisonMessage : public std::runtime_error {
 public:
  PoisonMessage(const std::string& reason, std::string task_id, std::string task_name)
      : std::runtime_error(reason), id(std::move(task_id)), task(std::move(task_name)) {}
  std::string id;
  std::string task;
};

// The message from its parts. Throws PoisonMessage.
TaskMessage DecodeTask(const nlohmann::json& headers, std::string_view body,
                       std::string_view content_type, std::string_view content_encoding);
// The message from kombu's Redis envelope. Throws PoisonMessage.
TaskMessage DecodeRedisEnvelope(std::string_view envelope);

struct OutgoingTask {
  std::string id;  // set by the sender, usually MakeTaskId()
  std::string task;
  nlohmann::json args = nlohmann::json::array();
  nlohmann::json kwargs = nlohmann::json::object();
  std::string queue = "trend";
};
// The body [args, kwargs, embed] as JSON text.
std::string EncodeBody(const OutgoingTask& task);
// Celery's protocol 2 headers for the task (lang, task, id, root_id, retries, ...).
nlohmann::json TaskHeaders(const OutgoingTask& task, std::string_view origin);
// kombu's Redis envelope, ready to LPUSH onto the queue's list.
std::string EncodeRedisEnvelope(const OutgoingTask& task, std::string_view origin);

// Celery's eta/expires headers: ISO 8601 with an optional fraction and a zone (Z or +hh:mm;
// none is UTC). nullopt for an empty or unreadable text.
std::optional<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text);

// A random (version 4) UUID, the form Celery uses for task ids and delivery tags.
std::string MakeTaskId();

std::string Base64Encode(std::string_view bytes);
// Throws std::invalid_argument on a character outside the alphabet or a wrong length.
std::string Base64Decode(std::string_view text);

}  // namespace trend::jobs
