// The SQLite backend: checkpoints on a thread of their own, with the WAL kept bounded, and
// blobs stored as bytes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "../support/temp_dir.hpp"
#include "storage/sql_connection.hpp"
#include "storage/sqlite_checkpointer.hpp"

namespace trend::storage {
namespace {

struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("trend_sqlite_test") {}
};

std::uintmax_t SizeOrZero(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

void Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  const int status = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  ASSERT_EQ(status, SQLITE_OK) << sql << ": " << (message != nullptr ? message : "");
  sqlite3_free(message);
}

std::int64_t Count(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM rows", -1, &statement, nullptr);
  sqlite3_step(statement);
  const std::int64_t count = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return count;
}

// A writer committing back to back, as the loader does: the thread copies the WAL beside it,
// the writer itself only now and then (the few frames since the thread's last round, so that
// the WAL starts over), the WAL stays a few rounds long, and every row is in the database.
TEST(SqliteCheckpointer, CopiesTheWalBesideAWriterAndKeepsItBounded) {
  TempDir dir;
  const std::string path = (dir.path() / "ckpt.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Exec(db,
       "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
       "CREATE TABLE rows (n INTEGER PRIMARY KEY, payload TEXT)");
  constexpr int kFramesPerCheckpoint = 16;
  constexpr int kCommits = 400;
  constexpr int kRowsPerCommit = 40;  // about 3 pages of 4 KiB each commit
  std::uintmax_t largest_wal = 0;
  {
    SqliteCheckpointer checkpointer(path, kFramesPerCheckpoint);
    checkpointer.Attach(db);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO rows (payload) VALUES (?)", -1, &insert, nullptr),
              SQLITE_OK);
    const std::string payload(300, 'x');
    for (int commit = 0; commit < kCommits; ++commit) {
      Exec(db, "BEGIN IMMEDIATE");
      for (int row = 0; row < kRowsPerCommit; ++row) {
        sqlite3_bind_text(insert, 1, payload.data(), static_cast<int>(payload.size()),
                          SQLITE_STATIC);
        ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
        sqlite3_reset(insert);
      }
      Exec(db, "COMMIT");
      largest_wal = std::max(largest_wal, SizeOrZero(path + "-wal"));
    }
    sqlite3_finalize(insert);
    EXPECT_GT(checkpointer.background_checkpoints(), 0);
    EXPECT_GE(checkpointer.writer_checkpoints(), 2);  // the WAL started over
    // Far fewer than one per commit past the threshold, which is what the writer alone did.
    EXPECT_LT(checkpointer.writer_checkpoints(), kCommits / 4);
  }
  // Without the copies the WAL would hold every commit, 400 x 6 frames of 4 KiB and their
  // headers (10 MB). With them it starts over every 4 rounds of 16 frames, plus what the
  // writer commits while the thread finishes a round (its fsyncs: more when the disk is busy;
  // beside the other tests' loads it reached a third of every commit).
  constexpr std::uintmax_t kEveryCommit = std::uintmax_t{kCommits} * 6 * (4096 + 24);
  EXPECT_LT(largest_wal, kEveryCommit / 2);
  sqlite3_close(db);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &reader), SQLITE_OK);
  EXPECT_EQ(Count(reader), kCommits * kRowsPerCommit);
  sqlite3_close(reader);
}

// A writer SIGKILLed at random moments, its checkpoint thread (or its own restart of the WAL)
// perhaps in the middle of a copy: every commit it reported is in the database, at most the
// one it had no time to report is added, and the database is whole.
TEST(SqliteCheckpointer, AKilledWriterLosesNoCommittedRow) {
  TempDir dir;
  const std::string path = (dir.path() / "killed.db").string();
  constexpr int kRowsPerCommit = 40;
  std::int64_t reported_rows = 0;
  std::uint64_t state = 7;
  for (int round = 0; round < 12; ++round) {
    int reports[2];
    ASSERT_EQ(::pipe(reports), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // the writer: commits until killed, reporting each one
      ::close(reports[0]);
      sqlite3* db = nullptr;
      if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) ::_exit(2);
      sqlite3_busy_timeout(db, 5000);
      sqlite3_exec(db,
                   "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                   "CREATE TABLE IF NOT EXISTS rows (n INTEGER PRIMARY KEY, payload TEXT)",
                   nullptr, nullptr, nullptr);
      SqliteCheckpointer checkpointer(path, 8);
      checkpointer.Attach(db);
      const std::string insert =
          "INSERT INTO rows (payload) VALUES ('" + std::string(300, 'z') + "')";
      for (;;) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        for (int row = 0; row < kRowsPerCommit; ++row)
          sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr);
        if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(3);
        const char done = 1;
        if (::write(reports[1], &done, 1) != 1) ::_exit(4);
      }
    }
    ::close(reports[1]);
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    ::usleep(static_cast<useconds_t>(20'000 + (state >> 33) % 120'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: " << WEXITSTATUS(status);
    char buffer[4096];
    for (ssize_t n; (n = ::read(reports[0], buffer, sizeof buffer)) > 0;)
      reported_rows += n * kRowsPerCommit;
    ::close(reports[0]);

    sqlite3* reader = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &reader), SQLITE_OK);
    sqlite3_stmt* check = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(reader, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
    sqlite3_finalize(check);
    const std::int64_t rows = Count(reader);
    sqlite3_close(reader);
    EXPECT_GE(rows, reported_rows) << "round " << round;
    EXPECT_LE(rows, reported_rows + kRowsPerCommit) << "round " << round;
    reported_rows = rows;  // the unreported commit, if it landed, counts from now on
  }
  EXPECT_GT(reported_rows, 0);
}

// Stopped while the writer keeps the thread busy: no copy is lost, and the writer's closing
// checkpoint removes the WAL as SQLite's own does.
TEST(SqliteCheckpointer, StoppingInTheMiddleLosesNothing) {
  TempDir dir;
  const std::string path = (dir.path() / "stop.db").string();
  {
    auto connection = Connect(path);
    connection->Execute("CREATE TABLE rows (n INTEGER PRIMARY KEY, payload TEXT)");
    const std::string payload(20'000, 'y');  // two pages of 16 KiB a row
    for (int commit = 0; commit < 60; ++commit) {
      Transaction transaction(*connection);
      for (int row = 0; row < 20; ++row) {
        const SqlValue values[] = {payload};
        connection->Query("INSERT INTO rows (payload) VALUES (?)", values);
      }
      transaction.Commit();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  auto again = Connect(path);
  EXPECT_EQ(AsInt(again->Query("SELECT COUNT(*) FROM rows").at(0).at(0)), 60 * 20);
}

TEST(SqliteConnection, BlobsComeBackAsBytesAndTextsAsText) {
  TempDir dir;
  auto connection = Connect((dir.path() / "blob.db").string());
  connection->Execute("CREATE TABLE values_kept (b BLOB, t TEXT)");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));  // NUL included
  const SqlValue row[] = {SqlBlob{bytes}, std::string("text")};
  connection->Query("INSERT INTO values_kept (b, t) VALUES (?, ?)", row);
  const auto back = connection->Query("SELECT b, t FROM values_kept");
  ASSERT_EQ(back.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<SqlBlob>(back[0][0]));
  EXPECT_EQ(AsBytes(back[0][0]), bytes);
  ASSERT_TRUE(std::holds_alternative<std::string>(back[0][1]));
  EXPECT_EQ(AsText(back[0][1]), "text");
}

}  // namespace
}  // namespace trend::storage
