// The exactly-once loader on SQLite: re-sent files add nothing, corrections keep their history,
// bad lines go to rejects (once), too many of them fail the run, and a second run reads only
// what was appended since the first.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "ingest/ingest_errors.hpp"
#include "ingest/loader.hpp"
#include "ingest/usage_report.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend::ingest {
namespace {

namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trend_loader_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "t.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text, bool append = false) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, append ? std::ios::app : std::ios::trunc) << text;
    return path;
  }

  IngestCounters Load(InputFormat format, std::vector<std::string> inputs, double max_reject = 1,
                      std::size_t batch_records = IngestOptions{}.batch_records) {
    IngestOptions options;
    options.batch_records = batch_records;
    options.database = db_;
    options.format = format;
    options.inputs = std::move(inputs);
    options.max_reject_rate = max_reject;
    std::atomic<bool> stop{false};
    return RunIngest(options, {}, stop);
  }

  std::vector<storage::SqlRow> Query(const std::string& sql) {
    return storage::Connect(db_)->Query(sql);
  }
  std::int64_t Scalar(const std::string& sql) { return storage::AsInt(Query(sql).at(0).at(0)); }

  fs::path dir_;
  std::string db_;
};

TEST_F(LoaderTest, ReturnsReSentAddNothingAndCorrectionsKeepHistory) {
  const std::string feed =
      "date,fund,return\n2024-01-31,A,0.01\n2024-01-31,B,0.02\n2024-02-29,A,NA\n";
  auto first = Load(InputFormat::kReturns, {Write("jan.csv", feed)});
  EXPECT_EQ(first.records, 3u);
  auto again = Load(InputFormat::kReturns, {Write("jan-resent.csv", feed)});
  EXPECT_EQ(again.records, 0u);
  EXPECT_EQ(again.duplicates, 3u);
  // A correction for (2024-01-31, A), the missing February value supplied, one new row.
  auto fix = Load(InputFormat::kReturns,
                  {Write("fix.csv", "2024-01-29,A,0.015\n2024-02-29,A,0.03\n2024-02-29,B,0.04\n")});
  EXPECT_EQ(fix.corrections, 2u);
  EXPECT_EQ(fix.records, 1u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM returns"), 4);
  EXPECT_DOUBLE_EQ(storage::AsReal(Query(
                       "SELECT value FROM returns WHERE date = '2024-01-31' AND fund = 'A'")[0][0]),
                   0.015);
  const auto history = Query(
      "SELECT value, previous, change FROM returns_history WHERE date = '2024-01-31' AND fund = "
      "'A' ORDER BY id");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(storage::AsText(history[0][2]), "insert");
  EXPECT_EQ(storage::AsText(history[1][2]), "correction");
  EXPECT_DOUBLE_EQ(storage::AsReal(history[1][1]), 0.01);
  // Funds keep the order they were first seen in.
  const auto funds = Query("SELECT fund FROM funds ORDER BY seq");
  ASSERT_EQ(funds.size(), 2u);
  EXPECT_EQ(storage::AsText(funds[0][0]), "A");
}

// A fund first seen in one batch is known to the next: it was added again (and the run failed
// on the funds table's key) when a feed took more than one batch.
TEST_F(LoaderTest, AFeedOfManyBatchesAddsEachFundOnce) {
  std::string feed = "date,fund,return\n";
  const char* const funds[] = {"A", "B", "A", "C", "B", "A", "D", "C", "A"};
  for (int month = 0; month < 9; ++month) {
    feed += fmt::format("2024-{:02d}-{},{},0.0{}\n", month + 1, month == 1 ? 29 : 28, funds[month],
                        month + 1);
  }
  const auto counters = Load(InputFormat::kReturns, {Write("feed.csv", feed)}, 1, 2);
  EXPECT_EQ(counters.records, 9u);
  EXPECT_GE(counters.batches, 5u);
  const auto rows = Query("SELECT fund, seq FROM funds ORDER BY seq");
  ASSERT_EQ(rows.size(), 4u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(storage::AsText(rows[i][0]), std::string(1, static_cast<char>('A' + i)));
    EXPECT_EQ(storage::AsInt(rows[i][1]), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM returns"), 9);
}

// A batch holding both keys the filter has never seen and "maybe" keys writes the first at
// once and the second after looking them up: a file overlapping one loaded earlier in the same
// run (its first half re-sent, interleaved with new lines) adds exactly its new lines.
TEST_F(LoaderTest, ABatchOfNewAndMaybeKeysAddsOnlyItsNewLines) {
  auto line = [](int i) {
    return fmt::format(
        "10.0.{}.{} - - [01/Nov/2026:01:{:02d}:{:02d} +0000] \"GET /item/{} HTTP/1.1\" 200 5 "
        "\"-\" \"t\"\n",
        i / 250, i % 250, i / 60 % 60, i % 60, i);
  };
  std::string first, overlapping;
  for (int i = 0; i < 300; ++i) first += line(i);
  for (int i = 0; i < 100; ++i) overlapping += line(200 + i) + line(300 + i);
  const IngestCounters counters =
      Load(InputFormat::kCombined, {Write("a.log", first), Write("b.log", overlapping)}, 1, 16);
  EXPECT_GE(counters.batches, 20u);
  EXPECT_EQ(counters.records, 400u);
  EXPECT_EQ(counters.duplicates, 100u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 400);
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT path) FROM http_requests"), 400);
}

// An analysis's mean time is summed in whole microseconds: the same value whatever order the
// database holds the rows in (two connections write them side by side into PostgreSQL).
TEST_F(LoaderTest, TheUsageReportsMeanTimeIsAnExactMeanOfMicroseconds) {
  std::string log;
  const char* const times[] = {"0.031934", "0.031933", "0.031934", "0.5"};
  for (int i = 0; i < 4; ++i) {
    log += fmt::format(
        "10.0.0.1 - - [01/Dec/2026:06:00:0{} +0000] \"GET /api/v1/runs/r HTTP/1.1\" 200 9 \"-\" "
        "\"curl\" rt={} run={}\n",
        i, times[i], i < 3 ? "aaaa000000000001" : "aaaa000000000002");
  }
  Load(InputFormat::kCombined, {Write("access.log", log)});
  const auto report = UsageReport(*storage::Connect(db_), {});
  const auto& runs = report.at("most_run_analyses");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].at("requests"), 3);
  EXPECT_DOUBLE_EQ(runs[0].at("mean_ms").get<double>(), 31.934);  // 95801 us / 3, rounded
  EXPECT_DOUBLE_EQ(runs[1].at("mean_ms").get<double>(), 500.0);
}

TEST_F(LoaderTest, RejectsAreKeptOnceWithReasonAndLine) {
  const std::string log =
      "127.0.0.1 - - [01/Dec/2026:06:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n"
      "not a log line\n"
      "127.0.0.1 - - [01/Dec/2026:06:00:01 +0000] \"GET / HTTP/1.1\" 2OO 5 \"-\" \"curl\"\n";
  auto counters = Load(InputFormat::kCombined, {Write("a.log", log)});
  EXPECT_EQ(counters.records, 1u);
  EXPECT_EQ(counters.rejects, 2u);
  Load(InputFormat::kCombined, {Write("a-copy.log", log)});
  const auto rejects = Query("SELECT line, reason, raw FROM rejects ORDER BY line");
  ASSERT_EQ(rejects.size(), 2u);  // the copy's rejects are the same records
  EXPECT_EQ(storage::AsInt(rejects[0][0]), 2);
  EXPECT_NE(storage::AsText(rejects[1][1]).find("status: expected 3 digits, found '2OO'"),
            std::string::npos);
  EXPECT_EQ(storage::AsText(rejects[0][2]), "not a log line");
}

TEST_F(LoaderTest, MostlyGarbageFailsLoudlyButKeepsWhatWasAccepted) {
  std::string text = "date,fund,return\n2024-01-31,A,0.01\n";
  for (int i = 0; i < 50; ++i) text += "this is not a return row\n";
  EXPECT_THROW(Load(InputFormat::kReturns, {Write("bad.csv", text)}, 0.5), RejectRateError);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM returns"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM rejects"), 50);
}

TEST_F(LoaderTest, ASecondRunReadsOnlyWhatWasAppended) {
  std::string first, second;
  for (int i = 0; i < 100; ++i) {
    const std::string line =
        "10.0.0.1 - - [01/Dec/2026:06:00:" + std::string(i % 60 < 10 ? "0" : "") +
        std::to_string(i % 60) + " +0000] \"GET /x HTTP/1.1\" 200 " + std::to_string(i) +
        " \"-\" \"t\"\n";
    (i < 60 ? first : second) += line;
  }
  const std::string path = Write("grow.log", first);
  EXPECT_EQ(Load(InputFormat::kCombined, {path}).records, 60u);
  Write("grow.log", second, true);
  const auto counters = Load(InputFormat::kCombined, {path});
  EXPECT_EQ(counters.records, 40u);
  EXPECT_EQ(counters.lines, 40u);  // resumed at the checkpoint, not re-read
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 100);
}

TEST_F(LoaderTest, ALogLineWithoutItsNewlineWaitsForTheNextRun) {
  const std::string line = "10.0.0.1 - - [01/Dec/2026:06:00:00 +0000] \"GET /x HTTP/1.1\" 200 15";
  const std::string path = Write("partial.log", line);
  EXPECT_EQ(Load(InputFormat::kCombined, {path}).records, 0u);
  Write("partial.log", "0 \"-\" \"t\"\n", true);
  EXPECT_EQ(Load(InputFormat::kCombined, {path}).records, 1u);
  EXPECT_EQ(Scalar("SELECT bytes FROM http_requests"), 150);
}

TEST_F(LoaderTest, AReturnsFileWithoutItsLastNewlineIsLoadedWhole) {
  const std::string path =
      Write("feed.csv", "date,fund,return\n2024-01-31,A,0.01\n2024-01-31,B,0.02");
  EXPECT_EQ(Load(InputFormat::kReturns, {path}).records, 2u);
  Write("feed.csv", "\n2024-02-29,A,0.03\n", true);
  const auto again = Load(InputFormat::kReturns, {path});
  EXPECT_EQ(again.records,
            1u);  // B's row is read again (the position stayed before it): a duplicate
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM returns"), 3);
}

TEST_F(LoaderTest, ErrorLogEvents) {
  const std::string log =
      R"({"time":"2026-12-01T06:00:00Z","level":"info","event":"listening","port":"8501"})"
      "\n"
      R"({"time":"2026-12-01T06:00:05Z","level":"error","event":"handler_failed","run_id":"r1"})"
      "\n";
  EXPECT_EQ(Load(InputFormat::kTrendErrors, {Write("errors.log", log)}).records, 2u);
  EXPECT_EQ(Load(InputFormat::kTrendErrors, {Write("errors-again.log", log)}).records, 0u);
  EXPECT_EQ(storage::AsText(
                Query("SELECT run_id FROM error_events WHERE event = 'handler_failed'")[0][0]),
            "r1");
}

TEST_F(LoaderTest, BadSourcesAreInputErrors) {
  EXPECT_THROW(Load(InputFormat::kCombined, {(dir_ / "missing.log").string()}), InputError);
  EXPECT_THROW(Load(InputFormat::kCombined, {dir_.string()}), InputError);  // a directory
  const std::string header = Write("header.csv", "date,fund,weight\n2024-01-31,A,1\n");
  EXPECT_THROW(Load(InputFormat::kReturns, {header}), InputError);
}

// A database written before the requests were normalised (schema 2) is migrated: the view
// shows every row as it was, and a re-sent file then adds nothing (the Bloom filter's snapshot,
// dropped with the renumbering, is rebuilt from the rows).
TEST_F(LoaderTest, WideRequestsTableMigratesIntoTheView) {
  const std::string log = Write(
      "access.log",
      "10.0.0.1 - bob [01/Nov/2026:00:00:00 +0000] \"GET /api/v1/runs/abc123def456 HTTP/1.1\" "
      "200 15 \"https://x.example/\" \"curl/8\" rt=0.25 run=abc123def456\n"
      "10.0.0.2 - - [01/Nov/2026:00:00:01 +0000] \"-\" 400 0 \"-\" \"-\"\n");
  {
    auto connection = storage::Connect(db_);
    storage::Migrate(*connection, storage::TrendSchema().first(2));
    connection->Execute(
        "INSERT INTO http_requests (ts, key_hi, key_lo, stream, client, user_name, method, path, "
        "route, query, protocol, status, bytes, referrer, user_agent, request_time, run_id, "
        "source, line) VALUES (1793491200, 1, 2, 'access', '10.0.0.1', 'bob', 'GET', "
        "'/api/v1/runs/abc123def456', '/api/v1/runs/{id}', NULL, 'HTTP/1.1', 200, 15, "
        "'https://x.example/', 'curl/8', 0.25, 'abc123def456', '/var/log/a.log', 1), "
        "(1793491201, 3, 4, 'access', '10.0.0.2', NULL, NULL, '-', NULL, NULL, NULL, 400, 0, "
        "NULL, NULL, NULL, NULL, '/var/log/a.log', 2)");
  }
  Load(InputFormat::kCombined, {log});  // migrates, then loads the same two requests anew
  const auto rows = Query(
      "SELECT stream, client, user_name, method, path, route, status, bytes, referrer, "
      "user_agent, request_time, run_id, source, line FROM http_requests WHERE key_hi IN (1, 3) "
      "ORDER BY ts");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(storage::AsText(rows[0][0]), "access");
  EXPECT_EQ(storage::AsText(rows[0][2]), "bob");
  EXPECT_EQ(storage::AsText(rows[0][3]), "GET");
  EXPECT_EQ(storage::AsText(rows[0][5]), "/api/v1/runs/{id}");
  EXPECT_EQ(storage::AsText(rows[0][8]), "https://x.example/");
  EXPECT_EQ(storage::AsText(rows[0][9]), "curl/8");
  EXPECT_DOUBLE_EQ(storage::AsReal(rows[0][10]), 0.25);
  EXPECT_EQ(storage::AsText(rows[0][12]), "/var/log/a.log");
  EXPECT_EQ(storage::AsInt(rows[0][13]), 1);
  EXPECT_TRUE(storage::IsNull(rows[1][3]));
  EXPECT_TRUE(storage::IsNull(rows[1][5]));
  EXPECT_TRUE(storage::IsNull(rows[1][8]));
  EXPECT_TRUE(storage::IsNull(rows[1][9]));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 4);
  // The loaded rows share the migrated dimension rows: one route, referrer and agent each.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_routes"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_user_agents"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT agent_id) FROM http_request_rows WHERE agent_id > 0"), 1);
  const std::string resent = Write("resent.log", "");
  std::filesystem::copy_file(log, resent, std::filesystem::copy_options::overwrite_existing);
  const IngestCounters again = Load(InputFormat::kCombined, {resent});
  EXPECT_EQ(again.records, 0u);
  EXPECT_EQ(again.duplicates, 2u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 4);
}

// A re-sent file whose every line is a "maybe": the keys are confirmed in groups of a fixed
// size (the last group short), and only the lines that were never loaded go in.
TEST_F(LoaderTest, AReSentFileIsConfirmedInGroupsAndOnlyItsNewLinesLoad) {
  auto lines = [](int from, int to) {
    std::string text;
    for (int i = from; i < to; ++i) {
      text += "10.0.0." + std::to_string(i % 250) +
              " - - [01/Nov/2026:00:" + std::to_string(10 + i / 60) + ":" +
              std::to_string(10 + i % 50) + " +0000] \"GET /item/" + std::to_string(i) +
              " HTTP/1.1\" 200 5 \"-\" \"t\"\n";
    }
    return text;
  };
  EXPECT_EQ(Load(InputFormat::kCombined, {Write("a.log", lines(0, 701))}).records, 701u);
  const IngestCounters again =
      Load(InputFormat::kCombined, {Write("b.log", lines(0, 701) + lines(701, 706))});
  EXPECT_EQ(again.records, 5u);
  EXPECT_EQ(again.duplicates, 701u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 706);
}

// The filter's snapshot covers the requests by time. Requests written after it with an older
// time (here: the snapshot of the first load put back after a second one) are not in the
// filter when the next run starts: re-sent, their insert fails on the primary key and the
// batch is confirmed key by key instead, so they are still not loaded twice.
TEST_F(LoaderTest, RequestsOlderThanTheFilterSnapshotAreStillLoadedOnce) {
  auto line = [](int minute, int i) {
    return "10.0.0." + std::to_string(i) + " - - [01/Nov/2026:00:" + std::to_string(minute) +
           ":00 +0000] \"GET /item/" + std::to_string(i) + " HTTP/1.1\" 200 5 \"-\" \"t\"\n";
  };
  std::string newer, older;
  for (int i = 0; i < 20; ++i) {
    newer += line(30, i);
    older += line(10, i);
  }
  EXPECT_EQ(Load(InputFormat::kCombined, {Write("newer.log", newer)}).records, 20u);
  const auto snapshot = Query("SELECT covered, filter FROM bloom_state");
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(Load(InputFormat::kCombined, {Write("older.log", older)}).records, 20u);
  {
    auto connection = storage::Connect(db_);
    const storage::SqlValue values[] = {snapshot[0][0], snapshot[0][1]};
    connection->Query("UPDATE bloom_state SET covered = ?, filter = ?", values);
  }
  const IngestCounters again = Load(InputFormat::kCombined, {Write("resent.log", older)});
  EXPECT_EQ(again.records, 0u);
  EXPECT_EQ(again.duplicates, 20u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM http_requests"), 40);
}

// A database whose filter snapshot was saved before migration 6, as hex text: it is still
// read (no rebuild from the tables, which would warn), and the next save stores bytes.
TEST_F(LoaderTest, AFilterSnapshotSavedAsHexTextIsStillRead) {
  std::string log;
  for (int i = 0; i < 30; ++i) {
    log += "10.0.0." + std::to_string(i) +
           " - - [01/Nov/2026:00:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"t\"\n";
  }
  const std::string path = Write("first.log", log);
  EXPECT_EQ(Load(InputFormat::kCombined, {path}).records, 30u);
  {
    auto connection = storage::Connect(db_);
    connection->Execute("UPDATE bloom_state SET filter = lower(hex(filter))");
    const auto stored = connection->Query("SELECT typeof(filter) FROM bloom_state");
    ASSERT_EQ(storage::AsText(stored.at(0).at(0)), "text");
  }
  testing::internal::CaptureStderr();
  const IngestCounters again = Load(InputFormat::kCombined, {Write("resent.log", log)});
  const std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_EQ(warnings.find("unreadable"), std::string::npos) << warnings;
  EXPECT_EQ(again.records, 0u);
  EXPECT_EQ(again.duplicates, 30u);
  EXPECT_EQ(Query("SELECT typeof(filter) FROM bloom_state").at(0).at(0),
            storage::SqlValue(std::string("blob")));
}

}  // namespace
}  // namespace trend::ingest
