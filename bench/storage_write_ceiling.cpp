// How fast the database alone takes the rows `trend ingest` writes: the log is parsed batch by
// batch outside the clock, and only the writes are timed (a transaction per batch of
// AppendRows into the real, migrated http_requests table, with its unique key and indexes).
// No Bloom filter, no confirmation, no checkpoints: the ceiling a loader on one connection can
// approach, measured side by side with `trend ingest` in bench/ingest_benchmark.sh.
// Usage: storage_write_ceiling DB_URL ACCESS_LOG [BATCH]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "ingest/access_log.hpp"
#include "ingest/record_identity.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace {

using trend::storage::RowBatch;

void AddRow(RowBatch& rows, const trend::ingest::AccessRecord& r, std::string_view line,
            std::uint64_t number) {
  // The occurrence is the line number: every row distinct, as the loader makes them.
  const auto key = trend::ingest::IdentityOf("access", line, number);
  rows.Int(r.time);
  rows.Int(key.hi);
  rows.Int(key.lo);
  rows.Text("access");
  rows.Text(r.client);
  rows.OptionalText(r.user == "-" ? std::string_view() : std::string_view(r.user));
  rows.OptionalText(r.method);
  rows.Text(r.path);
  rows.OptionalText(r.route);
  rows.OptionalText(r.query);
  rows.OptionalText(r.protocol);
  rows.Int(r.status);
  rows.Int(r.bytes);
  rows.OptionalText(r.referrer);
  rows.OptionalText(r.user_agent);
  if (r.request_time) {
    rows.Real(*r.request_time);
  } else {
    rows.Null();
  }
  rows.OptionalText(r.run_id);
  rows.Text("access.log");
  rows.Int(static_cast<std::int64_t>(number));
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
  RowBatch rows({"ts", "key_hi", "key_lo", "stream", "client", "user_name", "method", "path",
                 "route", "query", "protocol", "status", "bytes", "referrer", "user_agent",
                 "request_time", "run_id", "source", "line"});
  std::string line, reason;
  std::uint64_t number = 0, written = 0;
  double seconds = 0;
  auto flush = [&] {
    const auto start = std::chrono::steady_clock::now();
    trend::storage::Transaction transaction(*connection);
    connection->AppendRows("http_requests", rows);
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
    AddRow(rows, *record, line, number);
    if (rows.rows() >= batch_size) flush();
  }
  if (rows.rows() > 0) flush();
  std::printf("%llu rows written in %.2f s of writing (%.0f rows/s)\n",
              static_cast<unsigned long long>(written), seconds,
              static_cast<double>(written) / seconds);
  return 0;
}
