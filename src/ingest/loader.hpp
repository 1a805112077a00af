// `trend ingest`: records delivered at least once (log lines, fund-return rows) loaded exactly
// once into SQLite or PostgreSQL.
//
// How: every record gets an identity (record_identity.hpp). A Bloom filter of every identity
// loaded (kept in the database beside the checkpoints, caught up from the tables on start)
// answers "definitely new" for nearly every record, which is appended at once; a "maybe seen"
// is confirmed against the table's unique key. Each batch commits its rows, its rejects and
// every source's read position (file identity, offset, occurrence window) in one transaction,
// so a process killed at any moment restarts exactly where its last commit ended.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trend::ingest {

enum class InputFormat { kCombined, kCommon, kTrendErrors, kReturns };

std::optional<InputFormat> ParseInputFormat(std::string_view name);
const char* InputFormatName(InputFormat format);
// access (combined, common), errors, returns.
const char* DefaultStream(InputFormat format);

struct IngestOptions {
  std::string database;  // a path, sqlite:///abs/path.db or postgresql://...
  InputFormat format = InputFormat::kCombined;
  std::string stream;               // empty: DefaultStream(format)
  std::vector<std::string> inputs;  // files, globs, or "-" for stdin
  bool follow = false;              // as tail -F: across rotation and truncation
  double max_reject_rate = 0.5;     // of lines; past it (after 1,000 lines) exit 2; 1: never
  std::size_t batch_records = 50'000;
  // Connections writing batches side by side: PostgreSQL only (0: 2); SQLite writes over one.
  std::size_t connections = 0;
  double flush_seconds = 1.0;  // following: commit at least this often
  double poll_seconds = 0.1;
  double bloom_save_seconds = 30;  // following: save the filter at least this often
};

struct IngestCounters {
  std::uint64_t bytes_total = 0;  // of the files, when known at start
  std::uint64_t bytes_read = 0;
  std::uint64_t lines = 0;
  std::uint64_t records = 0;      // new rows loaded
  std::uint64_t duplicates = 0;   // records already loaded (re-sent), skipped
  std::uint64_t corrections = 0;  // returns: a changed value for a (date, fund, source)
  std::uint64_t rejects = 0;
  std::uint64_t maybe_seen = 0;  // Bloom "maybe" answers confirmed against the database
  std::uint64_t batches = 0;
  std::size_t files = 0;
  double seconds = 0;
};

// Called after every batch and while reading (at most ~10 times a second).
using ProgressFn = std::function<void(const IngestCounters&)>;

// Loads until the inputs end (or, following, until `stop` turns true: SIGINT/SIGTERM then
// commit what was read and return). Throws InputError for a bad source or database, and
// RejectRateError when too many lines are rejected (what was accepted stays loaded).
IngestCounters RunIngest(const IngestOptions& options, const ProgressFn& progress,
                         const std::atomic<bool>& stop);

}  // namespace trend::ingest
