// Migration 7 (requests in narrow columns) on a database holding rows of schema 6: the view
// shows every value as before, methods and protocols become dimension rows, and the new
// columns have their narrow types. On SQLite always; on PostgreSQL when
// tests/storage/postgres_append_test.sh has started one (TREND_TEST_POSTGRES_URL).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "../support/temp_dir.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend::storage {
namespace {

std::int64_t Scalar(SqlConnection& db, const std::string& sql) {
  return AsInt(db.Query(sql).at(0).at(0));
}

void NarrowsSchemaSixRequests(SqlConnection& db) {
  const auto schema = TrendSchema();
  ASSERT_EQ(schema[5].version, 6);
  Migrate(db, schema.first(6));
  db.Execute(
      "INSERT INTO ingest_sources (id, hash, stream, source) VALUES (1, 11, 'access', '/a.log')");
  db.Execute("INSERT INTO http_routes (id, hash, route) VALUES (1, 21, '/api/v1/runs')");
  db.Execute(
      "INSERT INTO http_request_rows (ts, key_hi, key_lo, source_id, line, client, user_name, "
      "method, path, route_id, query, protocol, status, bytes, referrer_id, agent_id, "
      "request_time, run_id) VALUES "
      "(100, 1, 2, 1, 1, '10.0.0.1', 'bob', 'GET', '/api/v1/runs', 1, 'a=1', 'HTTP/1.1', 200, "
      "5000000000, 0, 0, 0.25, 'r1'), "
      "(101, 3, 4, 1, 2, '10.0.0.2', NULL, NULL, '-', 0, NULL, NULL, 400, 0, 0, 0, NULL, NULL), "
      "(102, 5, 6, 1, 3, '10.0.0.3', NULL, 'POST', '/api/v1/runs', 1, NULL, 'HTTP/2.0', 503, "
      "17, 0, 0, 1.5, NULL), "
      "(103, 7, 8, 1, 4, '10.0.0.4', NULL, 'GET', '/x', 0, NULL, 'HTTP/1.1', 301, 0, 0, 0, "
      "0.001, NULL)");
  EXPECT_EQ(Migrate(db, schema), static_cast<int>(schema.size()) - 6);

  const auto rows = db.Query(
      "SELECT ts, key_hi, key_lo, stream, client, user_name, method, path, route, query, "
      "protocol, status, bytes, request_time, run_id, source, line FROM http_requests "
      "ORDER BY ts");
  ASSERT_EQ(rows.size(), 4u);
  const auto& first = rows[0];
  EXPECT_EQ(AsInt(first[1]), 1);
  EXPECT_EQ(AsInt(first[2]), 2);
  EXPECT_EQ(AsText(first[3]), "access");
  EXPECT_EQ(AsText(first[4]), "10.0.0.1");
  EXPECT_EQ(AsText(first[5]), "bob");
  EXPECT_EQ(AsText(first[6]), "GET");
  EXPECT_EQ(AsText(first[7]), "/api/v1/runs");
  EXPECT_EQ(AsText(first[8]), "/api/v1/runs");
  EXPECT_EQ(AsText(first[9]), "a=1");
  EXPECT_EQ(AsText(first[10]), "HTTP/1.1");
  EXPECT_EQ(AsInt(first[11]), 200);
  EXPECT_EQ(AsInt(first[12]), 5000000000);  // bytes stay 64-bit
  EXPECT_EQ(AsReal(first[13]), 0.25);
  EXPECT_EQ(AsText(first[14]), "r1");
  EXPECT_EQ(AsText(first[15]), "/a.log");
  EXPECT_EQ(AsInt(first[16]), 1);
  EXPECT_TRUE(IsNull(rows[1][6]));   // no method
  EXPECT_TRUE(IsNull(rows[1][10]));  // no protocol
  EXPECT_TRUE(IsNull(rows[1][13]));  // no request time
  EXPECT_EQ(AsText(rows[2][6]), "POST");
  EXPECT_EQ(AsText(rows[2][10]), "HTTP/2.0");
  EXPECT_EQ(AsInt(rows[2][11]), 503);
  EXPECT_EQ(AsText(rows[3][6]), "GET");

  EXPECT_EQ(Scalar(db, "SELECT COUNT(*) FROM http_methods"), 2);
  EXPECT_EQ(Scalar(db, "SELECT COUNT(*) FROM http_protocols"), 2);
  EXPECT_EQ(Scalar(db, "SELECT COUNT(DISTINCT method_id) FROM http_request_rows"), 3);  // and 0
  // The identity is still enforced.
  EXPECT_THROW(db.Execute("INSERT INTO http_request_rows (ts, key_hi, key_lo, line, bytes, "
                          "source_id, method_id, protocol_id, route_id, referrer_id, agent_id, "
                          "status, client) VALUES (100, 1, 2, 9, 0, 1, 0, 0, 0, 0, 0, 200, 'x')"),
               StorageError);
}

TEST(Migrations, SchemaSixRequestsAreNarrowedWithEveryValueKept) {
  test_support::TempDir dir("trend_migrations_test");
  auto db = Connect((dir.path() / "t.db").string());
  NarrowsSchemaSixRequests(*db);
}

TEST(PostgresMigrations, SchemaSixRequestsAreNarrowedWithEveryValueKept) {
  const char* url = std::getenv("TREND_TEST_POSTGRES_URL");
  if (url == nullptr) GTEST_SKIP() << "TREND_TEST_POSTGRES_URL is not set";
  auto admin = Connect(url);
  admin->Execute("DROP DATABASE IF EXISTS migrations_test");
  admin->Execute("CREATE DATABASE migrations_test");
  std::string database_url(url);
  database_url = database_url.substr(0, database_url.rfind('/')) + "/migrations_test";
  auto db = Connect(database_url);
  NarrowsSchemaSixRequests(*db);
  const auto types = db->Query(
      "SELECT column_name, data_type FROM information_schema.columns "
      "WHERE table_name = 'http_request_rows' AND column_name IN "
      "('status', 'method_id', 'agent_id', 'bytes') ORDER BY column_name");
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(AsText(types[0][1]), "integer");   // agent_id
  EXPECT_EQ(AsText(types[1][1]), "bigint");    // bytes
  EXPECT_EQ(AsText(types[2][1]), "integer");   // method_id
  EXPECT_EQ(AsText(types[3][1]), "smallint");  // status
}

}  // namespace
}  // namespace trend::storage
