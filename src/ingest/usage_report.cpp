#include "ingest/usage_report.hpp"

#include <fmt/format.h>
#include <cmath>
#include <map>
#include <vector>

#include "ingest/error_log.hpp"

namespace trend::ingest {
namespace {

// The requests with only the columns the report reads: the view http_requests joins every
// dimension table for every row, and SQLite does not leave out the unused ones.
constexpr const char* kRequests =
    "(SELECT r.ts, r.status, m.method, r.path, r.request_time, r.run_id, rt.route, s.stream "
    "FROM http_request_rows r JOIN ingest_sources s ON s.id = r.source_id "
    "LEFT JOIN http_methods m ON m.id = r.method_id "
    "LEFT JOIN http_routes rt ON rt.id = r.route_id) AS requests";

using storage::SqlValue;

std::string IsoTime(std::int64_t seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The WHERE clause for the range and stream, and its parameters.
struct Filter {
  std::string where = "1 = 1";
  std::vector<SqlValue> params;
  explicit Filter(const UsageQuery& query) {
    if (query.since) {
      where += " AND ts >= ?";
      params.emplace_back(*query.since);
    }
    if (query.until) {
      where += " AND ts < ?";
      params.emplace_back(*query.until);
    }
    if (!query.stream.empty()) {
      where += " AND stream = ?";
      params.emplace_back(query.stream);
    }
  }
};

nlohmann::json Millis(const SqlValue& seconds) {
  if (storage::IsNull(seconds)) return nullptr;
  return std::round(storage::AsReal(seconds) * 1e6) / 1e3;  // ms, to the microsecond
}

// The mean of `count` times whose sum is `micros` whole microseconds, in ms to the microsecond.
nlohmann::json MeanMillis(const SqlValue& micros, const SqlValue& count) {
  if (storage::IsNull(micros) || storage::AsInt(count) == 0) return nullptr;
  const double mean =
      static_cast<double>(storage::AsInt(micros)) / static_cast<double>(storage::AsInt(count));
  return std::round(mean) / 1e3;
}

std::string Text(const SqlValue& value, const char* fallback) {
  return storage::IsNull(value) ? fallback : storage::AsText(value);
}

}  // namespace

std::optional<std::int64_t> ParseReportTime(std::string_view text, std::int64_t now) {
  if (text.size() >= 2) {
    const char unit = text.back();
    const std::string_view number = text.substr(0, text.size() - 1);
    const std::int64_t scale = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (scale > 0 && number.find_first_not_of("0123456789") == std::string_view::npos &&
        number.size() <= 9) {
      return now - std::stoll(std::string(number)) * scale;
    }
  }
  if (text.size() == 10) {
    if (const auto date = ParseIsoTime(std::string(text) + "T00:00:00Z")) return date;
  }
  return ParseIsoTime(text);
}

nlohmann::json UsageReport(storage::SqlConnection& connection, const UsageQuery& query) {
  const Filter filter(query);
  const std::string limit = fmt::format(" LIMIT {}", query.top);
  nlohmann::json report;
  report["database"] = connection.name();
  report["since"] = query.since ? nlohmann::json(IsoTime(*query.since)) : nlohmann::json(nullptr);
  report["until"] = query.until ? nlohmann::json(IsoTime(*query.until)) : nlohmann::json(nullptr);
  report["stream"] = query.stream.empty() ? nlohmann::json(nullptr) : nlohmann::json(query.stream);

  const auto totals = connection.Query(
      "SELECT COUNT(*), MIN(ts), MAX(ts), "
      "SUM(CASE WHEN status < 200 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 200 AND status < 300 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 300 AND status < 400 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) FROM " +
          std::string(kRequests) + " WHERE " + filter.where,
      filter.params);
  const auto& t = totals.at(0);
  report["requests"] = storage::AsInt(t[0]);
  report["first"] = storage::IsNull(t[1]) ? nlohmann::json(nullptr)
                                          : nlohmann::json(IsoTime(storage::AsInt(t[1])));
  report["last"] = storage::IsNull(t[2]) ? nlohmann::json(nullptr)
                                         : nlohmann::json(IsoTime(storage::AsInt(t[2])));
  report["status"] = {{"1xx", storage::AsInt(t[3])},
                      {"2xx", storage::AsInt(t[4])},
                      {"3xx", storage::AsInt(t[5])},
                      {"4xx", storage::AsInt(t[6])},
                      {"5xx", storage::AsInt(t[7])}};

  // Nearest-rank percentiles per route: the value at rank ceil(p n), in integer arithmetic
  // that SQLite and PostgreSQL compute alike.
  const auto latency = connection.Query(
      "WITH r AS (SELECT method, route, request_time, "
      "ROW_NUMBER() OVER (PARTITION BY method, route ORDER BY request_time) AS rn, "
      "COUNT(*) OVER (PARTITION BY method, route) AS n "
      "FROM " +
          std::string(kRequests) + " WHERE request_time IS NOT NULL AND " + filter.where +
          ") "
          "SELECT method, route, MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN request_time END), "
          "MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN request_time END), "
          "MAX(CASE WHEN rn = (99 * n + 99) / 100 THEN request_time END), MAX(request_time) "
          "FROM r GROUP BY method, route",
      filter.params);
  std::map<std::pair<std::string, std::string>, const storage::SqlRow*> by_route;
  for (const auto& row : latency) by_route[{Text(row[0], "-"), Text(row[1], "(unparsed)")}] = &row;
  const auto routes = connection.Query(
      "SELECT method, route, COUNT(*), SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) FROM " +
          std::string(kRequests) + " WHERE " + filter.where +
          " GROUP BY method, route ORDER BY COUNT(*) DESC, method, route" + limit,
      filter.params);
  report["routes"] = nlohmann::json::array();
  for (const auto& row : routes) {
    const std::string method = Text(row[0], "-"), route = Text(row[1], "(unparsed)");
    nlohmann::json entry = {{"method", method},
                            {"route", route},
                            {"requests", storage::AsInt(row[2])},
                            {"4xx", storage::AsInt(row[4])},
                            {"5xx", storage::AsInt(row[3])},
                            {"p50_ms", nullptr},
                            {"p95_ms", nullptr},
                            {"p99_ms", nullptr},
                            {"max_ms", nullptr}};
    if (const auto it = by_route.find({method, route}); it != by_route.end()) {
      const auto& l = *it->second;
      entry["p50_ms"] = Millis(l[2]);
      entry["p95_ms"] = Millis(l[3]);
      entry["p99_ms"] = Millis(l[4]);
      entry["max_ms"] = Millis(l[5]);
    }
    report["routes"].push_back(entry);
  }

  const auto slowest = connection.Query(
      "SELECT run_id, request_time, ts, method, path, status FROM " + std::string(kRequests) +
          " WHERE run_id IS NOT NULL AND request_time IS NOT NULL AND " + filter.where +
          " ORDER BY request_time DESC, ts" + limit,
      filter.params);
  report["slowest_analyses"] = nlohmann::json::array();
  for (const auto& row : slowest) {
    report["slowest_analyses"].push_back({{"run_id", storage::AsText(row[0])},
                                          {"ms", Millis(row[1])},
                                          {"time", IsoTime(storage::AsInt(row[2]))},
                                          {"request", Text(row[3], "-") + " " + Text(row[4], "")},
                                          {"status", storage::AsInt(row[5])}});
  }
  const auto most =
      // The mean from a sum of whole microseconds: exact, so the same whatever order the
      // database adds the rows in (AVG of doubles gave SQLite and PostgreSQL different last
      // digits once the rows were written by two connections).
      connection.Query(
          "SELECT run_id, COUNT(*), "
          "SUM(CAST(ROUND(request_time * 1000000) AS BIGINT)), COUNT(request_time), "
          "MAX(ts) FROM " +
              std::string(kRequests) + " WHERE run_id IS NOT NULL AND " + filter.where +
              " GROUP BY run_id ORDER BY COUNT(*) DESC, run_id" + limit,
          filter.params);
  report["most_run_analyses"] = nlohmann::json::array();
  for (const auto& row : most) {
    report["most_run_analyses"].push_back({{"run_id", storage::AsText(row[0])},
                                           {"requests", storage::AsInt(row[1])},
                                           {"mean_ms", MeanMillis(row[2], row[3])},
                                           {"last", IsoTime(storage::AsInt(row[4]))}});
  }
  const auto events =
      connection.Query("SELECT level, event, COUNT(*) FROM error_events WHERE " + filter.where +
                           " GROUP BY level, event ORDER BY COUNT(*) DESC, event" + limit,
                       filter.params);
  report["error_events"] = nlohmann::json::array();
  for (const auto& row : events) {
    report["error_events"].push_back({{"level", Text(row[0], "-")},
                                      {"event", storage::AsText(row[1])},
                                      {"count", storage::AsInt(row[2])}});
  }
  return report;
}

std::string UsageReportText(const nlohmann::json& report) {
  auto text_of = [](const nlohmann::json& value) {
    if (value.is_null()) return std::string("-");
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_float()) return fmt::format("{:.1f}", value.get<double>());
    return value.dump();
  };
  std::string out = fmt::format("{} requests", report["requests"].get<std::int64_t>());
  if (!report["first"].is_null()) {
    out += fmt::format(" from {} to {}", text_of(report["first"]), text_of(report["last"]));
  }
  out += fmt::format("  ({})\n", text_of(report["database"]));
  const auto& status = report["status"];
  out += fmt::format("status: 2xx {}  3xx {}  4xx {}  5xx {}  1xx {}\n\n", text_of(status["2xx"]),
                     text_of(status["3xx"]), text_of(status["4xx"]), text_of(status["5xx"]),
                     text_of(status["1xx"]));
  out += fmt::format("{:<7} {:<40} {:>10} {:>6} {:>6} {:>9} {:>9} {:>9}\n", "method", "route",
                     "requests", "4xx", "5xx", "p50 ms", "p95 ms", "p99 ms");
  for (const auto& route : report["routes"]) {
    out +=
        fmt::format("{:<7} {:<40} {:>10} {:>6} {:>6} {:>9} {:>9} {:>9}\n", text_of(route["method"]),
                    text_of(route["route"]), text_of(route["requests"]), text_of(route["4xx"]),
                    text_of(route["5xx"]), text_of(route["p50_ms"]), text_of(route["p95_ms"]),
                    text_of(route["p99_ms"]));
  }
  if (!report["slowest_analyses"].empty()) {
    out += "\nslowest analyses:\n";
    for (const auto& run : report["slowest_analyses"]) {
      out += fmt::format("  {:>9} ms  {}  {}  {}\n", text_of(run["ms"]), text_of(run["run_id"]),
                         text_of(run["time"]), text_of(run["request"]));
    }
  }
  if (!report["most_run_analyses"].empty()) {
    out += "\nmost-run analyses:\n";
    for (const auto& run : report["most_run_analyses"]) {
      out += fmt::format("  {:>6} x  {}  (mean {} ms, last {})\n", text_of(run["requests"]),
                         text_of(run["run_id"]), text_of(run["mean_ms"]), text_of(run["last"]));
    }
  }
  if (!report["error_events"].empty()) {
    out += "\nerror log events:\n";
    for (const auto& event : report["error_events"]) {
      out += fmt::format("  {:>6}  {} {}\n", text_of(event["count"]), text_of(event["level"]),
                         text_of(event["event"]));
    }
  }
  return out;
}

}  // namespace trend::ingest
