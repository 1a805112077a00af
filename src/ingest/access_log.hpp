// Field extraction for HTTP access logs in the common and combined formats (trend app's own
// log, nginx, Apache):
//   client ident user [10/Oct/2000:13:55:36 -0700] "GET /path?q HTTP/1.1" status bytes
//   (combined adds) "referrer" "user agent"
// followed, when present, by nginx-style extras: a bare request time in seconds, `rt=0.003`
// and `run=<id>` (trend app writes the last two).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trend::ingest {

enum class AccessLogFormat { kCommon, kCombined };

struct AccessRecord {
  std::int64_t time = 0;  // Unix seconds, UTC (the zone in the line applied)
  std::string client;
  std::string user;      // "-" when absent
  std::string method;    // empty when the request line is not METHOD TARGET PROTOCOL
  std::string path;      // the target without its query (the raw request when unparsed)
  std::string query;     // after '?', without it
  std::string protocol;  // HTTP/1.1
  std::string route;     // path with id-like segments as {id}: /api/v1/runs/{id}
  int status = 0;
  std::int64_t bytes = 0;              // '-' is 0
  std::string referrer;                // combined only; empty for '-'
  std::string user_agent;              // combined only; empty for '-'
  std::optional<double> request_time;  // seconds
  std::string run_id;
};

// The same fields as views, for the loader's hot path: into the line, or into `scratch` for the
// fields whose escapes were undone and a route with ids replaced. Valid while the line and the
// scratch string are (the next parse with the same scratch reuses it).
struct AccessFields {
  std::int64_t time = 0;
  std::string_view client, user, method, path, query, protocol, route;
  int status = 0;
  std::int64_t bytes = 0;
  std::string_view referrer, user_agent;
  std::optional<double> request_time;
  std::string_view run_id;
};

// As ParseAccessLine, without allocating once `scratch` has grown to the longest line's needs.
bool ParseAccessFields(std::string_view line, AccessLogFormat format, AccessFields& fields,
                       std::string& scratch, std::string& reason);

// Parses one line (without its newline). On failure returns nullopt and sets `reason` to why,
// naming the field: "status: expected 3 digits, found 'abc'".
std::optional<AccessRecord> ParseAccessLine(std::string_view line, AccessLogFormat format,
                                            std::string& reason);

// The route template of a path: segments that look like identifiers (all digits, hex of 8 or
// more characters with a digit, UUIDs, long tokens mixing letters and digits) become {id}.
std::string RouteTemplate(std::string_view path);

// "10/Oct/2000:13:55:36 -0700" to Unix seconds (UTC); nullopt if malformed.
std::optional<std::int64_t> ParseLogTime(std::string_view text);

// Undoes nginx's \xHH and the \" / \\ escapes inside a quoted field.
std::string UnescapeLogField(std::string_view text);

}  // namespace trend::ingest
