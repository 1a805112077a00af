// What trend app's traffic did, from the ingested access log (http_requests) and error log
// (error_events): request counts, the status mix, latency percentiles per route and the
// slowest and most-run analyses over a time range. `trend ingest report` prints it;
// `trend app --usage-db` serves the same document at GET /api/v1/usage.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "storage/sql_connection.hpp"

namespace trend::ingest {

struct UsageQuery {
  std::optional<std::int64_t> since;  // Unix seconds, inclusive
  std::optional<std::int64_t> until;  // exclusive
  std::string stream;                 // empty: every stream
  std::size_t top = 10;               // rows per list
};

// "2026-12-01", "2026-12-01T06:00:00Z", or a span back from now: "90m", "24h", "7d".
// nullopt if unreadable.
std::optional<std::int64_t> ParseReportTime(std::string_view text, std::int64_t now);

nlohmann::json UsageReport(storage::SqlConnection& connection, const UsageQuery& query);

// The report as text tables.
std::string UsageReportText(const nlohmann::json& report);

}  // namespace trend::ingest
