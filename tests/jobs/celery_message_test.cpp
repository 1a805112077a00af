#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "jobs/celery_message.hpp"
#include "jobs/redis_client.hpp"
#include "jobs/result_backend.hpp"
#include "jobs/sweep_rows.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

TEST(Base64, RoundTripsEveryLengthAndRejectsGarbage) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
    bytes.push_back(static_cast<char>(n * 37));
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_THROW(Base64Decode("abc"), std::invalid_argument);
  EXPECT_THROW(Base64Decode("ab!="), std::invalid_argument);
}

// The envelope Celery 5.2's send_task LPUSHes (captured from python3-celery), minus repr fields.
constexpr const char* kCeleryEnvelope =
    R"({"body": "W1sxLCAidHdvIl0sIHsiY29uZmlnIjogeyJhIjogMX0sICJjc3YiOiAieCJ9LCB7ImNhbGxiYWNrcyI6IG51bGwsICJlcnJiYWNrcyI6IG51bGwsICJjaGFpbiI6IG51bGwsICJjaG9yZCI6IG51bGx9XQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "trend.run", "id": "81a8d64f-d74b-4385-9c46-af297e261071", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "81a8d64f-d74b-4385-9c46-af297e261071", "parent_id": null, "origin": "gen26597@vm", "ignore_result": false}, "properties": {"correlation_id": "81a8d64f-d74b-4385-9c46-af297e261071", "reply_to": "9bdc2463-aa65-32b7-850c-561e510d74d1", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "trend"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "d6d24fea-d445-415a-8439-74319383c78a"}})";

TEST(CeleryMessage, DecodesWhatCelerySends) {
  const TaskMessage m = DecodeRedisEnvelope(kCeleryEnvelope);
  EXPECT_EQ(m.task, "trend.run");
  EXPECT_EQ(m.id, "81a8d64f-d74b-4385-9c46-af297e261071");
  EXPECT_EQ(m.args, json::parse(R"([1, "two"])"));
  EXPECT_EQ(m.kwargs, json::parse(R"({"config": {"a": 1}, "csv": "x"})"));
  EXPECT_FALSE(m.redelivered);
  EXPECT_EQ(m.root_id, m.id);
}

TEST(CeleryMessage, WhatWeSendDecodesToTheSameTask) {
  OutgoingTask task;
  task.id = MakeTaskId();
  task.task = "trend.sweep_chunk";
  task.args = json::array({1, 2});
  task.kwargs = {{"grid", "a: [1, 2]"}, {"first", 0}};
  const std::string envelope = EncodeRedisEnvelope(task, "test");
  const TaskMessage m = DecodeRedisEnvelope(envelope);
  EXPECT_EQ(m.id, task.id);
  EXPECT_EQ(m.task, task.task);
  EXPECT_EQ(m.args, task.args);
  EXPECT_EQ(m.kwargs, task.kwargs);
  const json doc = json::parse(envelope);
  EXPECT_EQ(doc["properties"]["delivery_info"]["routing_key"], "trend");
  EXPECT_EQ(doc["headers"]["lang"], "py");
  EXPECT_EQ(task.id.size(), 36u);
  EXPECT_EQ(task.id[14], '4');  // version 4
  EXPECT_NE(MakeTaskId(), MakeTaskId());
}

TEST(CeleryMessage, ReadsProtocolOneAndTheRedeliveredMark) {
  const json body = {
      {"task", "trend.ping"}, {"id", "abc"}, {"args", json::array()}, {"kwargs", json::object()}};
  const TaskMessage v1 = DecodeTask(json::object(), body.dump(), "application/json", "utf-8");
  EXPECT_EQ(v1.task, "trend.ping");
  EXPECT_EQ(v1.id, "abc");
  json envelope = json::parse(kCeleryEnvelope);
  envelope["properties"]["delivery_info"]["redelivered"] = true;
  EXPECT_TRUE(DecodeRedisEnvelope(envelope.dump()).redelivered);
}

// The envelope is read field by field: a repeated key counts once, its last value (as a whole
// JSON object would have it), and a header that is not a scalar reads as absent.
TEST(CeleryMessage, RepeatedKeysKeepTheLastAndNonScalarHeadersAreAbsent) {
  const std::string text = json::parse(kCeleryEnvelope).dump();
  const std::string repeated =
      text.substr(0, text.size() - 1) +
      R"(, "headers": {"id": "second", "task": "trend.ping", "retries": 3, "eta": {"no": 1}})" +
      "}";
  const TaskMessage m = DecodeRedisEnvelope(repeated);
  EXPECT_EQ(m.id, "second");
  EXPECT_EQ(m.task, "trend.ping");
  EXPECT_EQ(m.retries, 3);
  EXPECT_EQ(m.eta, "");
  EXPECT_EQ(m.root_id, "");  // only in the first headers
}

// Each poison message is refused with the id when it can be read, so that its client gets a
// FAILURE instead of waiting forever.
TEST(CeleryMessage, PoisonMessagesNameWhatIsWrong) {
  auto poison = [](const std::string& text) -> PoisonMessage {
    try {
      DecodeRedisEnvelope(text);
    } catch (const PoisonMessage& p) {
      return p;
    }
    ADD_FAILURE() << "accepted: " << text;
    return PoisonMessage("", "", "");
  };
  EXPECT_NE(std::string(poison("{not json").what()).find("malformed JSON message"),
            std::string::npos);
  EXPECT_EQ(poison("[1, 2]").id, "");
  json envelope = json::parse(kCeleryEnvelope);
  envelope["body"] = Base64Encode("[[], {oops");
  const PoisonMessage bad_body = poison(envelope.dump());
  EXPECT_EQ(bad_body.id, "81a8d64f-d74b-4385-9c46-af297e261071");
  EXPECT_NE(std::string(bad_body.what()).find("malformed JSON body"), std::string::npos);
  envelope["body"] = Base64Encode(R"({"not": "a list"})");
  EXPECT_NE(std::string(poison(envelope.dump()).what()).find("[args, kwargs, embed]"),
            std::string::npos);
  envelope = json::parse(kCeleryEnvelope);
  envelope["content-type"] = "application/x-python-serialize";
  EXPECT_NE(std::string(poison(envelope.dump()).what()).find("only application/json"),
            std::string::npos);
  envelope = json::parse(kCeleryEnvelope);
  envelope["properties"]["body_encoding"] = "base64";
  envelope["body"] = "***";
  EXPECT_EQ(poison(envelope.dump()).task, "trend.run");
}

TEST(ResultMeta, HasCeleryFieldsAndStates) {
  const json success = json::parse(SuccessMeta("id1", json{{"a", 1}}));
  EXPECT_EQ(success["status"], "SUCCESS");
  EXPECT_EQ(success["result"]["a"], 1);
  EXPECT_EQ(success["task_id"], "id1");
  EXPECT_TRUE(success["children"].is_array());
  EXPECT_EQ(success["date_done"].get<std::string>().size(), 26u);  // 2026-12-01T18:00:00.123456
  const json failure = json::parse(FailureMeta("id2", {"ConfigError", "config line 3: bad", ""}));
  EXPECT_EQ(failure["status"], "FAILURE");
  EXPECT_EQ(failure["result"]["exc_type"], "ConfigError");
  EXPECT_EQ(failure["result"]["exc_message"], json::array({"config line 3: bad"}));
  const json progress = json::parse(ProgressMeta("id3", 3, 10));
  EXPECT_EQ(progress["status"], "PROGRESS");
  EXPECT_EQ(progress["result"], json({{"done", 3}, {"total", 10}}));
  EXPECT_TRUE(progress["date_done"].is_null());
  EXPECT_EQ(MetaKey("x"), "celery-task-meta-x");
}

TEST(RedisUrl, ParsesWhatUsersWrite) {
  const RedisEndpoint a = ParseRedisUrl("redis://127.0.0.1:6380/2");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 6380);
  EXPECT_EQ(a.db, 2);
  const RedisEndpoint b = ParseRedisUrl("redis://:secret@cache.internal/0");
  EXPECT_EQ(b.password, "secret");
  EXPECT_EQ(b.port, 6379);
  EXPECT_EQ(b.url.find("secret"), std::string::npos);  // never in a log line
  EXPECT_EQ(ParseRedisUrl("redis://[::1]:7000").host, "::1");
  EXPECT_THROW(ParseRedisUrl("amqp://x"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://h:port"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://h:1/x"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://:99999"), std::invalid_argument);
}

TEST(SweepRows, RoundTripBitForBitWithNanAndInfinity) {
  SweepRow row;
  row.index = 7;
  row.coordinates = {1, 0, 2};
  row.warnings = {"w"};
  row.out_user = {0.1 + 0.2,
                  1.0 / 3.0,
                  std::nan(""),
                  std::numeric_limits<double>::infinity(),
                  -std::numeric_limits<double>::infinity(),
                  5e-324};
  row.turnover = 0.123456789012345678;
  row.periods = 4;
  const SweepRow back = SweepRowFromJson(json::parse(SweepRowToJson(row).dump()));
  EXPECT_EQ(back.index, 7u);
  EXPECT_EQ(back.coordinates, row.coordinates);
  EXPECT_EQ(back.warnings, row.warnings);
  EXPECT_EQ(back.out_user.cagr, row.out_user.cagr);
  EXPECT_EQ(back.out_user.vol, row.out_user.vol);
  EXPECT_TRUE(std::isnan(back.out_user.sharpe));
  EXPECT_EQ(back.out_user.sortino, row.out_user.sortino);
  EXPECT_EQ(back.out_user.max_drawdown, row.out_user.max_drawdown);
  EXPECT_EQ(back.out_user.information_ratio, 5e-324);
  EXPECT_EQ(back.turnover, row.turnover);
  EXPECT_TRUE(std::isnan(back.transaction_cost));
  EXPECT_THROW(SweepRowFromJson(json::parse(R"({"index": 1})")), std::invalid_argument);
}

}  // namespace
}  // namespace trend::jobs

namespace trend::jobs {
namespace {

TEST(ParseIsoTime, ReadsCeleryEtaAndExpires) {
  using namespace std::chrono;
  const auto utc = ParseIsoTime("2026-12-02T01:45:30.250000+00:00");
  ASSERT_TRUE(utc);
  EXPECT_EQ(duration_cast<milliseconds>(utc->time_since_epoch()).count(), 1796175930250);
  EXPECT_EQ(ParseIsoTime("2026-12-02T03:45:30.25+02:00"), utc);  // the same instant
  EXPECT_EQ(ParseIsoTime("2026-12-02T01:45:30.25Z"), utc);
  EXPECT_EQ(ParseIsoTime("2026-12-02T01:45:30.25"), utc);  // no zone: UTC
  EXPECT_FALSE(ParseIsoTime(""));
  EXPECT_FALSE(ParseIsoTime("tomorrow"));
  EXPECT_FALSE(ParseIsoTime("2026-02-30T00:00:00"));
  EXPECT_FALSE(ParseIsoTime("2026-12-02T01:45:30+0"));
}

}  // namespace
}  // namespace trend::jobs
