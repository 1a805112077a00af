// trend app's structured error log: one JSON object per line,
//   {"time":"2026-12-01T06:16:00Z","level":"error","event":"handler_failed", ...}
// with further string fields (run_id, status, message, ...) kept whole as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trend::ingest {

struct ErrorEvent {
  std::int64_t time = 0;  // Unix seconds, UTC
  std::string level;
  std::string event;
  std::string run_id;  // the run_id field when present
  std::string fields;  // the whole object, compact JSON
};

std::optional<ErrorEvent> ParseErrorLine(std::string_view line, std::string& reason);

// "2026-12-01T06:16:00Z" (also with a fraction, or an offset +hh:mm) to Unix seconds.
std::optional<std::int64_t> ParseIsoTime(std::string_view text);

}  // namespace trend::ingest
