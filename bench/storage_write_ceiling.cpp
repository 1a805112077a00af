// How fast the database alone takes the rows `trend ingest` writes: the log is parsed batch by
// batch outside the clock, and only the writes are timed (a transaction per batch of
// AppendRows into the real, migrated http_request_rows table, with its primary key), each batch
// sorted by that key first, as the loader does.
// No Bloom filter, no confirmation, no checkpoints: the ceiling a loader on one connection can
// approach, measured side by side with `trend ingest` in bench/ingest_benchmark.sh.
// Usage: storage_write_ceiling DB_URL ACCESS_LOG [BATCH]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "ingest/access_log.hpp"
#include "ingest/record_identity.hpp"
#include "storage/dimension_table.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace {

using trend::storage::RowBatch;

// Dimension ids as the loader's writer gives them: numbered in order of first appearance (their
// own tables are filled after the clock stops: a few rows).
class Ids {
 public:
  std::int64_t Of(std::string_view text) {
    if (text.empty()) return 0;
    return ids_.try_emplace(std::string(text), static_cast<std::int64_t>(ids_.size() + 1))
        .first->second;
  }
  const std::unordered_map<std::string, std::int64_t>& all() const { return ids_; }

 private:
  std::unordered_map<std::string, std::int64_t> ids_;
};

struct Dimensions {
  Ids methods, protocols, routes, referrers, agents;
};

// In the loader's column order.
void AddRow(RowBatch& rows, Dimensions& dimensions, const trend::ingest::AccessRecord& r,
            std::string_view line, std::uint64_t number) {
  // The occurrence is the line number: every row distinct, as the loader makes them.
  const auto key = trend::ingest::IdentityOf("access", line, number);
  rows.Int(r.time);
  rows.Int(key.hi);
  rows.Int(key.lo);
  rows.Int(static_cast<std::int64_t>(number));
  rows.Int(r.bytes);
  if (r.request_time) {
    rows.Real(*r.request_time);
  } else {
    rows.Null();
  }
  rows.Int(1);  // source_id
  rows.Int(dimensions.methods.Of(r.method));
  rows.Int(dimensions.protocols.Of(r.protocol));
  rows.Int(dimensions.routes.Of(r.route));
  rows.Int(dimensions.referrers.Of(r.referrer));
  rows.Int(dimensions.agents.Of(r.user_agent));
  rows.Int(r.status);
  rows.Text(r.client);
  rows.OptionalText(r.user == "-" ? std::string_view() : std::string_view(r.user));
  rows.Text(r.path);
  rows.OptionalText(r.query);
  rows.OptionalText(r.run_id);
}

void WriteDimension(trend::storage::SqlConnection& connection, const char* table,
                    const char* column, const Ids& ids) {
  for (const auto& [text, id] : ids.all()) {
    const trend::storage::SqlValue row[] = {id, trend::storage::DimensionHash(text), text};
    connection.Query(fmt::format("INSERT INTO {} (id, hash, {}) VALUES (?, ?, ?)", table, column),
                     row);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: storage_write_ceiling DB_URL ACCESS_LOG [BATCH]\n");
    return 2;
  }
  const std::size_t batch_size = argc > 3 ? std::stoul(argv[3]) : 50'000;
  auto connection = trend::storage::Connect(argv[1]);
  trend::storage::Migrate(*connection, trend::storage::TrendSchema());
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", argv[2]);
    return 2;
  }
  RowBatch rows({"ts", "key_hi", "key_lo", "line", "bytes", "request_time", "source_id",
                 "method_id", "protocol_id", "route_id", "referrer_id", "agent_id", "status",
                 "client", "user_name", "path", "query", "run_id"});
  Dimensions dimensions;
  std::string line, reason;
  std::uint64_t number = 0, written = 0;
  double seconds = 0;
  auto flush = [&] {
    // In the table's key order, as the loader writes them (it sorts each batch before handing
    // it to a writer).
    const auto order = rows.OrderByLeadingInts();
    const auto start = std::chrono::steady_clock::now();
    trend::storage::Transaction transaction(*connection);
    connection->AppendRows("http_request_rows", rows, order);
    transaction.Commit();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    written += rows.rows();
    rows.clear();
  };
  while (std::getline(in, line)) {
    ++number;
    const auto record =
        trend::ingest::ParseAccessLine(line, trend::ingest::AccessLogFormat::kCombined, reason);
    if (!record) continue;
    AddRow(rows, dimensions, *record, line, number);
    if (rows.rows() >= batch_size) flush();
  }
  if (rows.rows() > 0) flush();
  {
    trend::storage::Transaction transaction(*connection);
    const trend::storage::SqlValue source[] = {std::int64_t{1},
                                               trend::storage::SourceHash("access", argv[2]),
                                               std::string("access"), std::string(argv[2])};
    connection->Query("INSERT INTO ingest_sources (id, hash, stream, source) VALUES (?, ?, ?, ?)",
                      source);
    WriteDimension(*connection, "http_methods", "method", dimensions.methods);
    WriteDimension(*connection, "http_protocols", "protocol", dimensions.protocols);
    WriteDimension(*connection, "http_routes", "route", dimensions.routes);
    WriteDimension(*connection, "http_referrers", "referrer", dimensions.referrers);
    WriteDimension(*connection, "http_user_agents", "user_agent", dimensions.agents);
    transaction.Commit();
  }
  std::printf("%llu rows written in %.2f s of writing (%.0f rows/s)\n",
              static_cast<unsigned long long>(written), seconds,
              static_cast<double>(written) / seconds);
  return 0;
}
