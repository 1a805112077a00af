#include "ingest/error_log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/date.hpp"

namespace trend::ingest {
namespace {

bool Digits(std::string_view text, int& value) {
  if (text.empty()) return false;
  value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> ParseIsoTime(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' ||
      !Digits(text.substr(0, 4), year) || !Digits(text.substr(5, 2), month) ||
      !Digits(text.substr(8, 2), day) || !Digits(text.substr(11, 2), hour) ||
      !Digits(text.substr(14, 2), minute) || !Digits(text.substr(17, 2), second) ||
      !IsValidCivil(year, month, day) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::string_view zone = text.substr(19);
  if (!zone.empty() && zone.front() == '.') {  // fraction of a second: dropped
    std::size_t end = 1;
    while (end < zone.size() && zone[end] >= '0' && zone[end] <= '9') ++end;
    zone.remove_prefix(end);
  }
  std::int64_t offset = 0;
  if (zone == "Z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int h = 0, m = 0;
    if (!Digits(zone.substr(1, 2), h) || !Digits(zone.substr(4, 2), m) || h > 23 || m > 59) {
      return std::nullopt;
    }
    offset = (h * 3600 + m * 60) * (zone[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  const std::int64_t days = DateFromCivil(year, month, day).days;
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::optional<ErrorEvent> ParseErrorLine(std::string_view line, std::string& reason) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& error) {
    reason = fmt::format("not JSON: {}", error.what());
    return std::nullopt;
  }
  if (!object.is_object()) {
    reason = "not a JSON object";
    return std::nullopt;
  }
  auto text = [&object](const char* key) -> std::string {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ErrorEvent event;
  const std::string when = text("time");
  const auto time = ParseIsoTime(when);
  if (!time) {
    reason = when.empty() ? "time: missing" : fmt::format("time: cannot read '{}'", when);
    return std::nullopt;
  }
  event.time = *time;
  event.event = text("event");
  if (event.event.empty()) {
    reason = "event: missing";
    return std::nullopt;
  }
  event.level = text("level");
  event.run_id = text("run_id");
  event.fields = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return event;
}

}  // namespace trend::ingest
