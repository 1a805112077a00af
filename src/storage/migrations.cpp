#include "storage/migrations.hpp"

#include <fmt/format.h>
#include <string>

#include "storage/dimension_table.hpp"

namespace trend::storage {
namespace {

std::string ForDialect(std::string_view sql, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  std::string out(sql);
  auto replace = [&out](std::string_view from, std::string_view to) {
    for (std::size_t at = out.find(from); at != std::string::npos;
         at = out.find(from, at + to.size())) {
      out.replace(at, from.size(), to);
    }
  };
  replace("{id}", pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY");
  replace("{int}", pg ? "BIGINT" : "INTEGER");
  replace("{real}", pg ? "DOUBLE PRECISION" : "REAL");
  replace("{text}", "TEXT");
  replace("{without_rowid}", pg ? "" : " WITHOUT ROWID");
  return out;
}

// Statements are separated by ";\n" so that PostgreSQL gets them one by one in order.
void ExecuteAll(SqlConnection& connection, const std::string& sql) {
  std::size_t start = 0;
  while (start < sql.size()) {
    std::size_t end = sql.find(";\n", start);
    if (end == std::string::npos) end = sql.size();
    const std::string statement = sql.substr(start, end - start);
    if (statement.find_first_not_of(" \n") != std::string::npos) connection.Execute(statement);
    start = end + 2;
  }
}

// Each text that `select_texts` returns (one column) gets its row in the dimension `table`.
void AddDimensionTexts(SqlConnection& connection, const std::string& select_texts,
                       std::string_view table, std::string_view column) {
  for (const auto& row : connection.Query(select_texts)) {
    const std::string text[] = {AsText(row[0])};
    DimensionRowId(connection, table, DimensionHash(text[0]), {&column, 1}, text);
  }
}

// Migration 3's data step: the texts of the old wide table into the dimension tables.
void FillRequestDimensions(SqlConnection& connection) {
  constexpr std::string_view kSourceColumns[] = {"stream", "source"};
  for (const auto& row : connection.Query("SELECT DISTINCT stream, source FROM http_requests")) {
    const std::string values[] = {AsText(row[0]), AsText(row[1])};
    DimensionRowId(connection, "ingest_sources", SourceHash(values[0], values[1]), kSourceColumns,
                   values);
  }
  const struct {
    std::string_view table;
    std::string_view column;
  } dimensions[] = {
      {"http_routes", "route"}, {"http_referrers", "referrer"}, {"http_user_agents", "user_agent"}};
  for (const auto& dimension : dimensions) {
    AddDimensionTexts(connection,
                      fmt::format("SELECT DISTINCT {0} FROM http_requests WHERE {0} IS NOT NULL",
                                  dimension.column),
                      dimension.table, dimension.column);
  }
}

// Migration 5's step: PostgreSQL compressed the Bloom filter's snapshot (hex of random bits, a
// few MB to tens of MB) with pglz at every save, a fifth of the server's time in a 2M-line load,
// to gain little. Stored out of line uncompressed instead. SQLite compresses nothing.
void StoreBloomSnapshotsUncompressed(SqlConnection& connection) {
  if (connection.dialect() == Dialect::kPostgres)
    connection.Execute("ALTER TABLE bloom_state ALTER COLUMN filter SET STORAGE EXTERNAL");
}

// Migration 6's step: the Bloom filter's snapshot was hex text, twice its size, encoded,
// copied and written at every save (at the end of a 2M-line load, 0.4 s of 2.9). It is now
// bytes. PostgreSQL decodes the old text in place (TEXT cannot hold bytes) and keeps it stored
// out of line; SQLite declares the column BLOB, and an old row's hex text is read as before
// until the next save replaces it.
void StoreBloomSnapshotsAsBytes(SqlConnection& connection) {
  if (connection.dialect() == Dialect::kPostgres) {
    connection.Execute(
        "ALTER TABLE bloom_state ALTER COLUMN filter TYPE BYTEA USING decode(filter, 'hex')");
    StoreBloomSnapshotsUncompressed(connection);
    return;
  }
  ExecuteAll(connection, R"sql(
CREATE TABLE bloom_state_bytes (
  name TEXT PRIMARY KEY,
  covered TEXT NOT NULL,
  filter BLOB NOT NULL,
  saved_at TEXT NOT NULL
);
INSERT INTO bloom_state_bytes SELECT name, covered, filter, saved_at FROM bloom_state;
DROP TABLE bloom_state;
ALTER TABLE bloom_state_bytes RENAME TO bloom_state
)sql");
}

// Migration 7's data step: the methods and protocols of the rows into their dimension tables.
void FillMethodAndProtocolDimensions(SqlConnection& connection) {
  const struct {
    std::string_view table;
    std::string_view column;
  } dimensions[] = {{"http_methods", "method"}, {"http_protocols", "protocol"}};
  for (const auto& dimension : dimensions) {
    AddDimensionTexts(
        connection,
        fmt::format(
            "SELECT DISTINCT {0} FROM http_request_rows WHERE {0} IS NOT NULL AND {0} <> ''",
            dimension.column),
        dimension.table, dimension.column);
  }
}

constexpr Migration kTrendSchema[] = {
    {1, "ingest tables",
     R"sql(
CREATE TABLE http_requests (
  id {id},
  ts {int} NOT NULL,
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  stream {text} NOT NULL,
  client {text} NOT NULL,
  user_name {text},
  method {text},
  path {text},
  route {text},
  query {text},
  protocol {text},
  status {int} NOT NULL,
  bytes {int} NOT NULL,
  referrer {text},
  user_agent {text},
  request_time {real},
  run_id {text},
  source {text} NOT NULL,
  line {int} NOT NULL
);
CREATE UNIQUE INDEX http_requests_identity ON http_requests (ts, key_hi, key_lo);
CREATE INDEX http_requests_route ON http_requests (route, ts);
CREATE TABLE error_events (
  id {id},
  ts {int} NOT NULL,
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  stream {text} NOT NULL,
  level {text},
  event {text} NOT NULL,
  run_id {text},
  fields {text} NOT NULL,
  source {text} NOT NULL,
  line {int} NOT NULL
);
CREATE UNIQUE INDEX error_events_identity ON error_events (ts, key_hi, key_lo);
CREATE INDEX error_events_event ON error_events (event, ts);
CREATE TABLE funds (
  stream {text} NOT NULL,
  fund {text} NOT NULL,
  seq {int} NOT NULL,
  PRIMARY KEY (stream, fund)
);
CREATE TABLE returns (
  stream {text} NOT NULL,
  date {text} NOT NULL,
  fund {text} NOT NULL,
  source {text} NOT NULL,
  value {real},
  updated_at {text} NOT NULL,
  PRIMARY KEY (stream, date, fund, source)
);
CREATE TABLE returns_history (
  id {id},
  stream {text} NOT NULL,
  date {text} NOT NULL,
  fund {text} NOT NULL,
  source {text} NOT NULL,
  value {real},
  previous {real},
  change {text} NOT NULL,
  ingested_at {text} NOT NULL,
  file {text} NOT NULL,
  line {int} NOT NULL
);
CREATE INDEX returns_history_key ON returns_history (stream, date, fund, source);
CREATE TABLE rejects (
  id {id},
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  line_hash {int} NOT NULL,
  occurrence {int} NOT NULL,
  stream {text} NOT NULL,
  format {text} NOT NULL,
  source {text} NOT NULL,
  line {int} NOT NULL,
  reason {text} NOT NULL,
  raw {text} NOT NULL,
  rejected_at {text} NOT NULL
);
CREATE UNIQUE INDEX rejects_identity ON rejects (key_hi, key_lo);
CREATE INDEX rejects_source ON rejects (stream, source);
CREATE TABLE checkpoints (
  stream {text} NOT NULL,
  source {text} NOT NULL,
  file_id {text} NOT NULL,
  fingerprint {text} NOT NULL,
  fingerprint_length {int} NOT NULL,
  read_offset {int} NOT NULL,
  window_offset {int} NOT NULL,
  window_cutoff {int} NOT NULL,
  newest {int} NOT NULL,
  line {int} NOT NULL,
  lines_read {int} NOT NULL,
  rejects {int} NOT NULL,
  updated_at {text} NOT NULL,
  PRIMARY KEY (stream, source)
);
CREATE TABLE bloom_state (
  name {text} PRIMARY KEY,
  covered {text} NOT NULL,
  filter {text} NOT NULL,
  saved_at {text} NOT NULL
)
)sql"},
    // Loading appends in time order. An index led by the route took each new row into the
    // middle of its B-tree, where SQLite rebalances three pages per split: a third of the load
    // time on a 6M-line log. Led by time, it only appends, and a route's requests over a time
    // range are still read from the index alone.
    {2, "route index led by time",
     R"sql(
DROP INDEX http_requests_route;
CREATE INDEX http_requests_time_route ON http_requests (ts, route)
)sql"},
    // One row per log line is most of what a load writes, and its width bounded the load:
    // the stream and file path, user agent and referrer were text on every row (a 305 MB log
    // took 539 MB). They move to dimension tables keyed by small ids (0: absent), and the view
    // http_requests shows the rows as before. One unique index, led by time, both enforces the
    // identity (ts, key_hi, key_lo) and serves time and route queries from the index alone
    // (the route is the same for the same identity, so adding it keeps the key as unique).
    // Rows are renumbered, so the Bloom filter's snapshot is dropped: rebuilt at the next load.
    {3, "requests normalised into dimension tables",
     R"sql(
CREATE TABLE ingest_sources (
  id {id},
  hash {int} NOT NULL,
  stream {text} NOT NULL,
  source {text} NOT NULL
);
CREATE UNIQUE INDEX ingest_sources_hash ON ingest_sources (hash);
CREATE TABLE http_routes (id {id}, hash {int} NOT NULL, route {text} NOT NULL);
CREATE UNIQUE INDEX http_routes_hash ON http_routes (hash);
CREATE TABLE http_referrers (id {id}, hash {int} NOT NULL, referrer {text} NOT NULL);
CREATE UNIQUE INDEX http_referrers_hash ON http_referrers (hash);
CREATE TABLE http_user_agents (id {id}, hash {int} NOT NULL, user_agent {text} NOT NULL);
CREATE UNIQUE INDEX http_user_agents_hash ON http_user_agents (hash);
CREATE TABLE http_request_rows (
  id {id},
  ts {int} NOT NULL,
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  source_id {int} NOT NULL,
  line {int} NOT NULL,
  client {text} NOT NULL,
  user_name {text},
  method {text},
  path {text},
  route_id {int} NOT NULL,
  query {text},
  protocol {text},
  status {int} NOT NULL,
  bytes {int} NOT NULL,
  referrer_id {int} NOT NULL,
  agent_id {int} NOT NULL,
  request_time {real},
  run_id {text}
)
)sql",
     FillRequestDimensions,
     R"sql(
INSERT INTO http_request_rows (ts, key_hi, key_lo, source_id, line, client, user_name, method,
  path, route_id, query, protocol, status, bytes, referrer_id, agent_id, request_time, run_id)
SELECT r.ts, r.key_hi, r.key_lo, s.id, r.line, r.client, r.user_name, r.method, r.path,
  COALESCE(rt.id, 0), r.query, r.protocol, r.status, r.bytes, COALESCE(rf.id, 0),
  COALESCE(ua.id, 0), r.request_time, r.run_id
FROM http_requests r
JOIN ingest_sources s ON s.stream = r.stream AND s.source = r.source
LEFT JOIN http_routes rt ON rt.route = r.route
LEFT JOIN http_referrers rf ON rf.referrer = r.referrer
LEFT JOIN http_user_agents ua ON ua.user_agent = r.user_agent
ORDER BY r.id;
DROP TABLE http_requests;
DELETE FROM bloom_state;
CREATE UNIQUE INDEX http_request_rows_identity ON http_request_rows (ts, key_hi, key_lo, route_id);
CREATE VIEW http_requests AS
SELECT r.id, r.ts, r.key_hi, r.key_lo, s.stream, r.client, r.user_name, r.method, r.path,
  rt.route, r.query, r.protocol, r.status, r.bytes, rf.referrer, ua.user_agent, r.request_time,
  r.run_id, s.source, r.line, r.route_id, r.referrer_id, r.agent_id, r.source_id
FROM http_request_rows r
JOIN ingest_sources s ON s.id = r.source_id
LEFT JOIN http_routes rt ON rt.id = r.route_id
LEFT JOIN http_referrers rf ON rf.id = r.referrer_id
LEFT JOIN http_user_agents ua ON ua.id = r.agent_id
)sql"},
    // The unique index was a second B-tree written for every row beside the table: a third of
    // SQLite's time per row. The requests are now kept in their identity's order, in one
    // B-tree (SQLite's WITHOUT ROWID; in PostgreSQL the primary key's index), which enforces the
    // identity and serves time ranges (and a route over a time range) by itself. The row id
    // goes: the Bloom filter's snapshot covers requests by time instead, so it is rebuilt.
    {4, "requests keyed by their identity",
     R"sql(
CREATE TABLE http_request_rows_by_identity (
  ts {int} NOT NULL,
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  source_id {int} NOT NULL,
  line {int} NOT NULL,
  client {text} NOT NULL,
  user_name {text},
  method {text},
  path {text},
  route_id {int} NOT NULL,
  query {text},
  protocol {text},
  status {int} NOT NULL,
  bytes {int} NOT NULL,
  referrer_id {int} NOT NULL,
  agent_id {int} NOT NULL,
  request_time {real},
  run_id {text},
  PRIMARY KEY (ts, key_hi, key_lo)
){without_rowid};
INSERT INTO http_request_rows_by_identity
SELECT ts, key_hi, key_lo, source_id, line, client, user_name, method, path, route_id, query,
  protocol, status, bytes, referrer_id, agent_id, request_time, run_id
FROM http_request_rows ORDER BY ts, key_hi, key_lo;
DROP VIEW http_requests;
DROP TABLE http_request_rows;
ALTER TABLE http_request_rows_by_identity RENAME TO http_request_rows;
DELETE FROM bloom_state;
CREATE VIEW http_requests AS
SELECT r.ts, r.key_hi, r.key_lo, s.stream, r.client, r.user_name, r.method, r.path,
  rt.route, r.query, r.protocol, r.status, r.bytes, rf.referrer, ua.user_agent, r.request_time,
  r.run_id, s.source, r.line, r.route_id, r.referrer_id, r.agent_id, r.source_id
FROM http_request_rows r
JOIN ingest_sources s ON s.id = r.source_id
LEFT JOIN http_routes rt ON rt.id = r.route_id
LEFT JOIN http_referrers rf ON rf.id = r.referrer_id
LEFT JOIN http_user_agents ua ON ua.id = r.agent_id
)sql"},
    {5, "Bloom snapshots stored uncompressed", "", StoreBloomSnapshotsUncompressed},
    {6, "Bloom snapshots stored as bytes", "", StoreBloomSnapshotsAsBytes},
    // A row per log line is most of what a load writes, and on PostgreSQL the bytes written
    // (table, index, and the WAL that logs both) bound a large load. Ids were 8 bytes where 4
    // hold them, a status 8 where 2 do, and the method and protocol ("GET", "HTTP/1.1") text on
    // every row; 8-byte columns between texts were padded to their alignment. Now the 8-byte
    // columns lead, then the 4-byte ids (methods and protocols are dimensions too), the status,
    // and the texts last: 182 bytes a row became 145 on PostgreSQL (SQLite: 126 became 114).
    // Same rows, same view.
    {7, "requests in narrow columns",
     R"sql(
CREATE TABLE http_methods (id {id}, hash {int} NOT NULL, method {text} NOT NULL);
CREATE UNIQUE INDEX http_methods_hash ON http_methods (hash);
CREATE TABLE http_protocols (id {id}, hash {int} NOT NULL, protocol {text} NOT NULL);
CREATE UNIQUE INDEX http_protocols_hash ON http_protocols (hash)
)sql",
     FillMethodAndProtocolDimensions,
     R"sql(
CREATE TABLE http_request_rows_narrow (
  ts {int} NOT NULL,
  key_hi {int} NOT NULL,
  key_lo {int} NOT NULL,
  line {int} NOT NULL,
  bytes {int} NOT NULL,
  request_time {real},
  source_id INTEGER NOT NULL,
  method_id INTEGER NOT NULL,
  protocol_id INTEGER NOT NULL,
  route_id INTEGER NOT NULL,
  referrer_id INTEGER NOT NULL,
  agent_id INTEGER NOT NULL,
  status SMALLINT NOT NULL,
  client {text} NOT NULL,
  user_name {text},
  path {text},
  query {text},
  run_id {text},
  PRIMARY KEY (ts, key_hi, key_lo)
){without_rowid};
INSERT INTO http_request_rows_narrow
SELECT r.ts, r.key_hi, r.key_lo, r.line, r.bytes, r.request_time, r.source_id,
  COALESCE(m.id, 0), COALESCE(p.id, 0), r.route_id, r.referrer_id, r.agent_id, r.status,
  r.client, r.user_name, r.path, r.query, r.run_id
FROM http_request_rows r
LEFT JOIN http_methods m ON m.method = r.method
LEFT JOIN http_protocols p ON p.protocol = r.protocol
ORDER BY r.ts, r.key_hi, r.key_lo;
DROP VIEW http_requests;
DROP TABLE http_request_rows;
ALTER TABLE http_request_rows_narrow RENAME TO http_request_rows;
CREATE VIEW http_requests AS
SELECT r.ts, r.key_hi, r.key_lo, s.stream, r.client, r.user_name, m.method, r.path,
  rt.route, r.query, p.protocol, r.status, r.bytes, rf.referrer, ua.user_agent, r.request_time,
  r.run_id, s.source, r.line, r.route_id, r.referrer_id, r.agent_id, r.source_id, r.method_id,
  r.protocol_id
FROM http_request_rows r
JOIN ingest_sources s ON s.id = r.source_id
LEFT JOIN http_methods m ON m.id = r.method_id
LEFT JOIN http_protocols p ON p.id = r.protocol_id
LEFT JOIN http_routes rt ON rt.id = r.route_id
LEFT JOIN http_referrers rf ON rf.id = r.referrer_id
LEFT JOIN http_user_agents ua ON ua.id = r.agent_id
)sql"},
};

}  // namespace

std::span<const Migration> TrendSchema() {
  return kTrendSchema;
}

int Migrate(SqlConnection& connection, std::span<const Migration> migrations) {
  connection.Execute(ForDialect(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version {int} PRIMARY KEY, name {text} NOT "
      "NULL, applied_at {text} NOT NULL)",
      connection.dialect()));
  int applied = 0;
  for (const Migration& migration : migrations) {
    Transaction transaction(connection);
    if (connection.dialect() == Dialect::kPostgres) {
      connection.Query("SELECT pg_advisory_xact_lock(7216353)");  // one migrator at a time
    }
    const auto newest = connection.Query("SELECT MAX(version) FROM schema_migrations");
    const std::int64_t current = IsNull(newest.at(0).at(0)) ? 0 : AsInt(newest.at(0).at(0));
    if (current >= migration.version) continue;
    ExecuteAll(connection, ForDialect(migration.sql, connection.dialect()));
    if (migration.fill != nullptr) migration.fill(connection);
    ExecuteAll(connection, ForDialect(migration.sql_after, connection.dialect()));
    const SqlValue row[] = {std::int64_t{migration.version}, std::string(migration.name),
                            UtcTimestamp()};
    connection.Query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     row);
    transaction.Commit();
    ++applied;
  }
  const auto newest = connection.Query("SELECT MAX(version) FROM schema_migrations");
  const std::int64_t current = IsNull(newest.at(0).at(0)) ? 0 : AsInt(newest.at(0).at(0));
  if (!migrations.empty() && current > migrations.back().version) {
    throw StorageError(
        fmt::format("{}: schema version {} is newer than this program knows ({}); "
                    "upgrade trend",
                    connection.name(), current, migrations.back().version));
  }
  return applied;
}

}  // namespace trend::storage
