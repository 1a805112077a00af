// Field extraction for every input format, and the malformed lines each must reject with a
// reason naming the field.
#include <gtest/gtest.h>

#include <string>

#include "ingest/access_log.hpp"
#include "ingest/error_log.hpp"
#include "ingest/returns_feed.hpp"

namespace trend::ingest {
namespace {

std::optional<AccessRecord> Combined(std::string_view line, std::string* why = nullptr) {
  std::string reason;
  auto record = ParseAccessLine(line, AccessLogFormat::kCombined, reason);
  if (why) *why = reason;
  return record;
}

TEST(AccessLog, CombinedLineWithTrendAppExtras) {
  const auto r = Combined(
      R"L(10.0.0.2 - alice [01/Dec/2026:07:00:01 +0100] "POST /api/v1/runs?x=1&y=2 HTTP/1.1" 201 2048 "https://ex.com/" "Mozilla/5.0 (X11)" rt=0.120 run=abcdef0123456789)L");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time, 1796104801);  // 06:00:01 UTC
  EXPECT_EQ(r->client, "10.0.0.2");
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/api/v1/runs");
  EXPECT_EQ(r->query, "x=1&y=2");
  EXPECT_EQ(r->protocol, "HTTP/1.1");
  EXPECT_EQ(r->route, "/api/v1/runs");
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->bytes, 2048);
  EXPECT_EQ(r->referrer, "https://ex.com/");
  EXPECT_EQ(r->user_agent, "Mozilla/5.0 (X11)");
  ASSERT_TRUE(r->request_time);
  EXPECT_DOUBLE_EQ(*r->request_time, 0.120);
  EXPECT_EQ(r->run_id, "abcdef0123456789");
}

TEST(AccessLog, NginxBareRequestTimeDashesAndEscapes) {
  const auto r = Combined(
      R"(::1 - - [31/Dec/2026:23:59:59 -0500] "GET /a\x22b/123/x HTTP/2.0" 304 - "-" "say \"hi\"" 0.004)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time, 1798779599);  // 2027-01-01T04:59:59Z
  EXPECT_EQ(r->path, "/a\"b/123/x");
  EXPECT_EQ(r->route, "/a\"b/{id}/x");
  EXPECT_EQ(r->bytes, 0);
  EXPECT_EQ(r->referrer, "");
  EXPECT_EQ(r->user_agent, "say \"hi\"");
  EXPECT_DOUBLE_EQ(r->request_time.value(), 0.004);
  EXPECT_TRUE(r->run_id.empty());
}

TEST(AccessLog, UnparsedRequestLinesAreKeptAsSent) {
  const auto r = Combined(R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "-" 400 0 "-" "-")");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "");
  EXPECT_EQ(r->path, "-");
  EXPECT_EQ(r->status, 400);
  const auto probe =
      Combined(R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "\x16\x03\x01" 400 0 "-" "-")");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->path, "\x16\x03\x01");
}

TEST(AccessLog, CommonFormatAndResultFetchesNameTheirRun) {
  std::string reason;
  const auto r = ParseAccessLine(
      R"(127.0.0.1 - - [01/Dec/2026:06:00:00 +0000] "GET /api/v1/runs/0123456789abcdef0123 HTTP/1.1" 200 15)",
      AccessLogFormat::kCommon, reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->route, "/api/v1/runs/{id}");
  EXPECT_EQ(r->run_id, "0123456789abcdef0123");
  EXPECT_EQ(r->user_agent, "");
}

TEST(AccessLog, MalformedLinesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty line"},
      {"garbage", "time: expected"},
      {R"(1.2.3.4 - - [32/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-")",
       "time: cannot read"},
      {R"(1.2.3.4 - - [01/Foo/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-")",
       "time: cannot read"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00] "GET / HTTP/1.1" 200 1 "-" "-")", "time: cannot read"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000 "GET / HTTP/1.1" 200 1 "-" "-")",
       "time: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] GET / HTTP/1.1 200 1 "-" "-")",
       "request: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1 200 1 "-" "-")",
       "status: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 20x 1 "-" "-")",
       "status: expected 3 digits"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 2000 1 "-" "-")",
       "status: expected 3 digits"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 -5 "-" "-")",
       "bytes: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 12k "-" "-")",
       "bytes: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1)",
       "combined format: expected"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "unterminated)",
       "combined format"},
      {R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" rt=fast)",
       "rt: expected seconds"},
  };
  for (const auto& [line, expected] : cases) {
    std::string reason;
    EXPECT_FALSE(ParseAccessLine(line, AccessLogFormat::kCombined, reason)) << line;
    EXPECT_NE(reason.find(expected), std::string::npos) << line << " -> [" << reason << "]";
  }
}

TEST(AccessLog, NulBytesAreRejected) {
  std::string line = R"(1.2.3.4 - - [01/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "a)";
  line += '\0';
  line += "b\"";
  std::string reason;
  EXPECT_FALSE(ParseAccessLine(line, AccessLogFormat::kCombined, reason));
  EXPECT_EQ(reason, "NUL byte in the line");
}

TEST(AccessLog, RouteTemplates) {
  EXPECT_EQ(
      RouteTemplate(
          "/api/v1/datasets/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
      "/api/v1/datasets/{id}");
  EXPECT_EQ(RouteTemplate("/users/42/orders/550e8400-e29b-41d4-a716-446655440000"),
            "/users/{id}/orders/{id}");
  EXPECT_EQ(RouteTemplate("/assets/chart.umd.js"), "/assets/chart.umd.js");
  EXPECT_EQ(RouteTemplate("/"), "/");
  EXPECT_EQ(RouteTemplate("/api/v1/config/defaults"), "/api/v1/config/defaults");
}

TEST(ErrorLog, ParsesTrendAppEvents) {
  std::string reason;
  const auto e = ParseErrorLine(
      R"({"time":"2026-12-01T06:16:00Z","level":"error","event":"handler_failed","run_id":"abc","message":"boom"})",
      reason);
  ASSERT_TRUE(e) << reason;
  EXPECT_EQ(e->time, 1796105760);
  EXPECT_EQ(e->level, "error");
  EXPECT_EQ(e->event, "handler_failed");
  EXPECT_EQ(e->run_id, "abc");
  EXPECT_NE(e->fields.find("\"message\":\"boom\""), std::string::npos);
  EXPECT_EQ(ParseIsoTime("2026-12-01T07:16:00.250+01:00"), 1796105760);
  for (const char* bad :
       {"not json", "[1,2]", R"({"level":"error","event":"x"})",
        R"({"time":"yesterday","event":"x"})", R"({"time":"2026-12-01T06:16:00Z"})",
        R"({"time":"2026-13-01T06:16:00Z","event":"x"})"}) {
    EXPECT_FALSE(ParseErrorLine(bad, reason)) << bad;
    EXPECT_FALSE(reason.empty());
  }
}

TEST(ReturnsFeed, HeaderInAnyOrderAndValuesAsTrendRunReadsThem) {
  std::string reason;
  EXPECT_FALSE(ReadFeedHeader("2024-01-31,Fund A,0.01", reason));  // data, not a header
  const auto columns = ReadFeedHeader("Fund,Date,Return,Source", reason);
  ASSERT_TRUE(columns);
  ASSERT_EQ(columns->count, 4u);
  const auto r = ParseReturnLine("\"Fund, A\",2024-02-29,1.5%,admin-x", *columns, reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->fund, "Fund, A");
  EXPECT_EQ(FormatDate(r->date), "2024-02-29");
  EXPECT_DOUBLE_EQ(r->value.value(), 0.015);
  EXPECT_EQ(r->source, "admin-x");
  const FeedColumns positional;
  const auto business_day = ParseReturnLine("2024-03-29,B,(0.5)", positional, reason);
  ASSERT_TRUE(business_day);
  EXPECT_EQ(FormatDate(business_day->date), "2024-03-31");  // to the calendar month end
  EXPECT_DOUBLE_EQ(business_day->value.value(), -0.5);
  const auto missing = ParseReturnLine("2024-03-31,B,NA", positional, reason);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->value);
  const auto with_source = ParseReturnLine("2024-03-31,B,0.01,feed2", positional, reason);
  ASSERT_TRUE(with_source);
  EXPECT_EQ(with_source->source, "feed2");
}

TEST(ReturnsFeed, MalformedRows) {
  const FeedColumns positional;
  const std::pair<const char*, const char*> cases[] = {
      {"2024-01-31,A", "expected 3 fields, found 2"},
      {"2024-01-31,A,0.1,x,y", "expected 3 fields, found 5"},
      {"2024-02-30,A,0.1", "date: cannot read '2024-02-30'"},
      {"soon,A,0.1", "date: cannot read"},
      {"2024-01-31,,0.1", "fund: empty"},
      {"2024-01-31,A,abc", "return: 'abc' is not a number"},
      {"2024-01-31,\"A,0.1", "unterminated quoted field"},
  };
  for (const auto& [line, expected] : cases) {
    std::string reason;
    EXPECT_FALSE(ParseReturnLine(line, positional, reason)) << line;
    EXPECT_NE(reason.find(expected), std::string::npos) << line << " -> " << reason;
  }
  std::string reason;
  const auto bad_header = ReadFeedHeader("date,fund,return,weight", reason);
  ASSERT_TRUE(bad_header);
  EXPECT_EQ(bad_header->count, 0u);
  EXPECT_NE(reason.find("unknown column 'weight'"), std::string::npos);
}

}  // namespace
}  // namespace trend::ingest
