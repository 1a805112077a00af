#include "ingest/loader.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "bloom/bloom_filter.hpp"
#include "bloom/file_bytes.hpp"
#include "bloom/scalable_bloom_filter.hpp"
#include "data/date.hpp"
#include "ingest/access_log.hpp"
#include "ingest/batch_writer.hpp"
#include "ingest/error_log.hpp"
#include "ingest/ingest_errors.hpp"
#include "ingest/record_identity.hpp"
#include "ingest/returns_feed.hpp"
#include "storage/dimension_table.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend::ingest {
namespace {

using storage::RowBatch;
using storage::SqlConnection;
using storage::SqlValue;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 1 << 20;
constexpr std::uint64_t kReadAhead = 16 << 20;
constexpr std::size_t kFingerprintBytes = 1024;
constexpr std::size_t kRawRejectBytes = 2048;
constexpr std::uint64_t kBloomInitialCapacity = 1'000'000;
constexpr double kBloomErrorRate = 0.001;
constexpr std::size_t kKeysPerLookup = 300;
constexpr std::size_t kFirstBatch = 4096;  // records; doubling up to --batch
constexpr std::size_t kBloomLookahead = 16;
const char* const kBloomName = "records";

// How far a Bloom filter snapshot reaches in each table whose keys it holds, so that a later run
// adds the keys of rows written after it: by row id, or for the requests, which are kept by
// identity without one, by time (the newest second it saw is read again). A request written
// later with an older time is missing from the filter; its insert then fails on the primary
// key, and the batch is retried with every key confirmed.
struct BloomCoverage {
  const char* table;
  const char* position;  // the column whose largest value the snapshot records
  const char* after;     // the rows not covered, given that value
};
constexpr BloomCoverage kKeyedTables[] = {
    {"http_request_rows", "ts", "ts >= ?"},
    {"error_events", "id", "id > ?"},
    {"rejects", "id", "id > ?"},
};
constexpr BloomCoverage kReturnsHistory = {"returns_history", "id", "id > ?"};

bool Unhex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.resize(hex.size() / 2);
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = digit(hex[2 * i]), low = digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<char>(high * 16 + low);
  }
  return true;
}

std::string Fingerprint(std::string_view head) {
  return fmt::format("{:016x}", XXH3_64bits(head.data(), head.size()));
}

std::string FileId(const struct stat& info) {
  return fmt::format("{}:{}", static_cast<unsigned long long>(info.st_dev),
                     static_cast<unsigned long long>(info.st_ino));
}

bool IsLogFormat(InputFormat format) {
  return format != InputFormat::kReturns;
}

// One input being read: a file (resumable from its checkpoint) or stdin.
struct Source {
  std::string key;  // absolute path, or "-"
  std::string path;
  std::int64_t source_id = 0;  // in ingest_sources
  int fd = -1;
  std::string file_id;
  std::string head;             // the first bytes, for the fingerprint
  std::uint64_t offset = 0;     // after the last complete line handed on
  std::uint64_t read_to = 0;    // bytes read from the file
  std::uint64_t hinted_to = 0;  // the kernel was asked to read ahead up to here
  std::uint64_t line = 0;       // complete lines handed on
  std::string pending;          // bytes after the last newline
  OccurrenceCounter occurrences;
  std::unordered_map<std::uint64_t, std::uint64_t> reject_occurrences;
  std::optional<FeedColumns> columns;         // returns: from the header, or the default order
  bool dirty = false;                         // lines since the last commit
  std::uint64_t lines_read = 0, rejects = 0;  // totals kept in the checkpoint
  bool finished = false;

  ~Source() {
    if (fd > 0) close(fd);
  }
};

// A text of a dimension table (method, route, user agent, ...) first met in a batch: the writer
// gives it its database id before the batch's rows are written.
struct NewText {
  std::uint32_t local;  // the reader's number for it (1, 2, ...; 0 is "absent")
  std::int64_t hash;    // storage::DimensionHash
  std::string text;
};

// The reader's numbering of one dimension's texts. Rows carry these local numbers; the writer
// maps them to database ids (DimensionIds), so the reader never waits on the database.
class TextDictionary {
 public:
  // 0 for an empty text; else its local number, listing it in `introduced` when it is new.
  std::uint32_t Local(std::string_view text, std::vector<NewText>& introduced) {
    if (text.empty()) return 0;
    const std::int64_t hash = storage::DimensionHash(text);
    const auto [it, inserted] = numbers_.try_emplace(
        hash, Entry{static_cast<std::uint32_t>(numbers_.size() + 1), std::string(text)});
    if (inserted) {
      introduced.push_back({it->second.number, hash, it->second.text});
    } else if (it->second.text != text) {
      // Two texts with one 64-bit hash (about 1 in 10^10 for 10^5 texts): an error, never a
      // row that names the other text.
      throw storage::StorageError(fmt::format("two texts share the hash {}: '{}' and '{}'", hash,
                                              it->second.text.substr(0, 200), text.substr(0, 200)));
    }
    return it->second.number;
  }

 private:
  struct Entry {
    std::uint32_t number;
    std::string text;
  };
  std::unordered_map<std::int64_t, Entry> numbers_;
};

// The writer's side: local numbers to the ids in the dimension table.
class DimensionIds {
 public:
  DimensionIds(const char* table, const char* column) : table_(table), column_(column) {}

  // Inserts the new texts (another loader may have inserted them first) and learns their ids.
  void Resolve(SqlConnection& connection, const std::vector<NewText>& texts) {
    const std::string_view columns[] = {column_};
    for (const NewText& entry : texts) {
      if (ids_.size() <= entry.local) ids_.resize(entry.local + 1, 0);
      ids_[entry.local] =
          storage::DimensionRowId(connection, table_, entry.hash, columns, {&entry.text, 1});
      // The rows keep ids in 4 bytes (migration 7).
      if (ids_[entry.local] > std::numeric_limits<std::int32_t>::max()) {
        throw storage::StorageError(
            fmt::format("{}: more than 2^31 distinct texts; ids no longer fit", table_));
      }
    }
  }
  std::int64_t Id(std::int64_t local) const {
    return local == 0 ? 0 : ids_.at(static_cast<std::size_t>(local));
  }

 private:
  const char* table_;
  const char* column_;
  std::vector<std::int64_t> ids_ = {0};
};

// The dimension tables of http_request_rows, and the row's column holding each one's id (the
// reader's local number until the writer resolves it).
struct RequestDimension {
  const char* table;
  const char* column;
  std::size_t row_column;
};
constexpr RequestDimension kRequestDimensions[] = {
    {"http_methods", "method", 7},
    {"http_protocols", "protocol", 8},
    {"http_routes", "route", 9},
    {"http_referrers", "referrer", 10},
    {"http_user_agents", "user_agent", 11},
};
constexpr std::size_t kDimensions = std::size(kRequestDimensions);
enum DimensionIndex : std::size_t { kMethods, kProtocols, kRoutes, kReferrers, kAgents };
static_assert(std::string_view(kRequestDimensions[kMethods].table) == "http_methods" &&
              std::string_view(kRequestDimensions[kAgents].table) == "http_user_agents");

template <std::size_t... I>
std::array<DimensionIds, kDimensions> MakeDimensionIds(std::index_sequence<I...>) {
  return {DimensionIds(kRequestDimensions[I].table, kRequestDimensions[I].column)...};
}

struct PendingKey {
  RecordKey key;
  std::int64_t time;
  bool maybe;
};

// Rows of one table waiting for the batch's commit.
struct TableBatch {
  const char* table;
  RowBatch rows;
  std::vector<PendingKey> keys;
  std::size_t maybes = 0;
  std::vector<std::uint32_t> order;  // the order to write the rows in (empty: as they are)
  TableBatch(const char* name, std::vector<std::string> columns)
      : table(name), rows(std::move(columns)) {}
  void clear() {
    rows.clear();
    keys.clear();
    maybes = 0;
    order.clear();
  }
};

struct PendingReturn {
  RecordKey key;
  ReturnRecord record;
  std::string file;
  std::uint64_t line;
  bool maybe;
};

std::string ReturnKeyText(const ReturnRecord& r) {
  return fmt::format("{}\x1f{}\x1f{}", FormatDate(r.date), r.fund, r.source);
}

// Everything one transaction commits: rows, rejects, returns and the read positions reached.
struct Batch {
  // In the table's column order (kRequestDimensions numbers the id columns).
  TableBatch requests{"http_request_rows",
                      {"ts", "key_hi", "key_lo", "line", "bytes", "request_time", "source_id",
                       "method_id", "protocol_id", "route_id", "referrer_id", "agent_id", "status",
                       "client", "user_name", "path", "query", "run_id"}};
  std::array<std::vector<NewText>, kDimensions> new_texts;  // by DimensionIndex
  TableBatch events{
      "error_events",
      {"ts", "key_hi", "key_lo", "stream", "level", "event", "run_id", "fields", "source", "line"}};
  TableBatch rejects{"rejects",
                     {"key_hi", "key_lo", "line_hash", "occurrence", "stream", "format", "source",
                      "line", "reason", "raw", "rejected_at"}};
  std::vector<PendingReturn> returns;
  std::vector<std::vector<SqlValue>> checkpoints;

  void clear() {
    requests.clear();
    events.clear();
    rejects.clear();
    returns.clear();
    checkpoints.clear();
    for (auto& texts : new_texts) texts.clear();
  }

  std::size_t Records() const {
    return requests.keys.size() + events.keys.size() + rejects.keys.size() + returns.size();
  }
};

// A thread writing batches, with its own connection and statements.
struct WriterLane {
  std::unique_ptr<SqlConnection> db;
  std::map<std::pair<std::string, int>, std::string> lookup_sql;  // LookupSql's
};

// The steps of a batch that follow the order batches were read in (BatchWriter::Turn).
constexpr std::size_t kDimensionStep = 0;  // its new texts have their ids
constexpr std::size_t kCommitStep = 1;     // its transaction has committed
constexpr std::size_t kSteps = 2;

// A wait on another transaction's lock that lasts longer than this ends in an error, and the
// batch is retried: two loaders on one table can wait on each other through a wait of ours
// (a batch waiting for the one before it to commit), which PostgreSQL cannot see as a
// deadlock. A normal wait is for one batch's commit: well under a second.
constexpr const char* kLockTimeout = "SET lock_timeout = '5s'";
constexpr int kConflictAttempts = 5;

class Loader {
 public:
  Loader(const IngestOptions& options, const ProgressFn& progress, const std::atomic<bool>& stop)
      : options_(options),
        stream_(options.stream.empty() ? DefaultStream(options.format) : options.stream),
        progress_(progress),
        stop_(stop),
        batch_(std::make_unique<Batch>()),
        bloom_(kBloomInitialCapacity, kBloomErrorRate) {}
  // The writers first: their last tasks use the members below.
  ~Loader() { writer_.reset(); }

  IngestCounters Run() {
    started_ = Clock::now();
    connection_ = storage::Connect(options_.database);
    storage::Migrate(*connection_, storage::TrendSchema());
    LoadBloom();
    if (options_.format == InputFormat::kReturns) LoadFunds();
    OpenSources();
    OpenLanes();
    // At most two batches wait for a lane: the reader runs ahead of the writers by no more.
    writer_ = std::make_unique<BatchWriter>(lanes_.size(), kSteps, 2, "ingest-writer");
    last_commit_ = last_bloom_save_ = Clock::now();
    for (;;) {
      bool progressed = false;
      for (auto& source : sources_) {
        if (stop_.load()) break;
        if (options_.follow) CheckRotation(*source);
        progressed |= ReadAvailable(*source);
        if (!options_.follow && !source->finished) {
          FinishSource(*source);
        }
      }
      const bool all_done =
          std::all_of(sources_.begin(), sources_.end(), [](const auto& s) { return s->finished; });
      if (!options_.follow && all_done) break;
      if (stop_.load()) break;
      if (options_.follow) {
        if (Clock::now() - last_commit_ >= Seconds(options_.flush_seconds) && BatchSize() > 0) {
          Commit();
        } else if (!progressed) {
          if (!sources_.empty() && BatchSize() == 0 &&
              Clock::now() - last_bloom_save_ >= Seconds(options_.bloom_save_seconds)) {
            writer_->Drain();
            StoreBloom(bloom_.Serialize());
          }
          std::this_thread::sleep_for(Seconds(options_.poll_seconds));
        }
      }
    }
    Commit();
    // The filter takes no more keys: its snapshot is made while the writers finish the last
    // batches, and stored after them (so it covers every row), over the reader's connection
    // (no lock timeout: another loader saving its own snapshot is waited for).
    std::string snapshot = bloom_.Serialize();
    writer_->Drain();
    StoreBloom(std::move(snapshot));
    writer_.reset();
    CheckRejectRate(true);
    Report();
    return Snapshot();
  }

 private:
  static std::chrono::duration<double> Seconds(double s) {
    return std::chrono::duration<double>(s);
  }
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  std::size_t BatchSize() const {
    return batch_->Records() +
           (std::any_of(sources_.begin(), sources_.end(), [](const auto& s) { return s->dirty; })
                ? 1
                : 0);
  }

  // The reader's counters with the writer's.
  IngestCounters Snapshot() const {
    IngestCounters c = counters_;
    c.records = records_.load();
    c.duplicates = duplicates_.load();
    c.corrections = corrections_.load();
    c.maybe_seen = maybe_seen_.load();
    c.batches = batches_.load();
    c.seconds = Elapsed();
    return c;
  }

  void Report(bool force = true) {
    if (!progress_) return;
    const auto now = Clock::now();
    if (!force && now - last_report_ < std::chrono::milliseconds(100)) return;
    last_report_ = now;
    progress_(Snapshot());
  }

  // ---- Bloom filter: kept in bloom_state, caught up from the tables ------------------------

  void LoadBloom() {
    const auto rows = connection_->Query("SELECT covered, filter FROM bloom_state WHERE name = ?",
                                         std::vector<SqlValue>{std::string(kBloomName)});
    nlohmann::json covered = nlohmann::json::object();
    if (!rows.empty()) {
      std::string bytes;
      try {
        covered = nlohmann::json::parse(storage::AsText(rows[0][0]));
        // Bytes since migration 6; hex text in a SQLite row saved before it.
        std::string_view stored = storage::AsBytes(rows[0][1]);
        if (std::holds_alternative<std::string>(rows[0][1])) {
          if (!Unhex(stored, bytes)) throw std::runtime_error("not hex");
          stored = bytes;
        }
        bloom::FileBytes buffer = bloom::ZeroedBytes(stored.size());
        std::memcpy(buffer.data, stored.data(), stored.size());
        bloom_ = bloom::ScalableBloomFilter::Parse(buffer, "bloom_state");
      } catch (const std::exception& error) {
        // A damaged snapshot only costs time: rebuild from the tables.
        std::fprintf(stderr,
                     "trend ingest: warning: %s: the Bloom filter snapshot is unreadable "
                     "(%s); rebuilding it from the tables\n",
                     connection_->name().c_str(), error.what());
        covered = nlohmann::json::object();
        bloom_ = bloom::ScalableBloomFilter(kBloomInitialCapacity, kBloomErrorRate);
      }
    }
    // Rows the snapshot does not cover (all of a table it has no position for).
    const auto uncovered = [&](const BloomCoverage& coverage, std::string_view columns) {
      const std::string select = fmt::format("SELECT {} FROM {}", columns, coverage.table);
      const auto position = covered.find(coverage.table);
      if (position == covered.end() || !position->is_number_integer())
        return connection_->Query(select);
      return connection_->Query(fmt::format("{} WHERE {}", select, coverage.after),
                                std::vector<SqlValue>{position->get<std::int64_t>()});
    };
    for (const BloomCoverage& coverage : kKeyedTables) {
      for (const auto& row : uncovered(coverage, "key_lo"))
        bloom_.AddHash(static_cast<std::uint64_t>(storage::AsInt(row[0])));
    }
    for (const auto& row : uncovered(kReturnsHistory, "stream, date, fund, source")) {
      const std::string text = fmt::format("{}\x1f{}\x1f{}", storage::AsText(row[1]),
                                           storage::AsText(row[2]), storage::AsText(row[3]));
      bloom_.AddHash(IdentityOf(storage::AsText(row[0]), text, 0).BloomHash());
    }
  }

  // With how far it reaches in each table: a later run adds the keys of newer rows. When no
  // batch is being written.
  void StoreBloom(std::string snapshot) {
    storage::Transaction transaction(*connection_);
    nlohmann::json covered = nlohmann::json::object();
    std::vector<BloomCoverage> tables(std::begin(kKeyedTables), std::end(kKeyedTables));
    tables.push_back(kReturnsHistory);
    for (const BloomCoverage& coverage : tables) {
      const auto max = connection_->Query(
          fmt::format("SELECT MAX({}) FROM {}", coverage.position, coverage.table));
      if (!storage::IsNull(max[0][0])) covered[coverage.table] = storage::AsInt(max[0][0]);
    }
    // An array, not a vector from an initializer list, which would copy the snapshot.
    const SqlValue row[] = {std::string(kBloomName), covered.dump(),
                            storage::SqlBlob{std::move(snapshot)}, storage::UtcTimestamp()};
    connection_->Query(
        "INSERT INTO bloom_state (name, covered, filter, saved_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET covered = excluded.covered, filter = excluded.filter, "
        "saved_at = excluded.saved_at",
        row);
    transaction.Commit();
    last_bloom_save_ = Clock::now();
  }

  // The writers' connections: PostgreSQL takes batches over several side by side (its server
  // process per connection was the bound with one); SQLite has one writer at a time.
  void OpenLanes() {
    const bool postgres = connection_->dialect() == storage::Dialect::kPostgres;
    std::size_t lanes = options_.connections == 0 ? (postgres ? 2 : 1) : options_.connections;
    if (!postgres && lanes > 1) {
      std::fprintf(stderr,
                   "trend ingest: warning: --connections %zu: SQLite takes one writer at a "
                   "time; writing over one connection\n",
                   lanes);
      lanes = 1;
    }
    for (std::size_t i = 0; i < lanes; ++i) {
      WriterLane& lane = lanes_.emplace_back();
      lane.db = storage::Connect(options_.database);
      if (postgres) lane.db->Execute(kLockTimeout);
    }
  }

  void LoadFunds() {
    const auto rows = connection_->Query("SELECT fund, seq FROM funds WHERE stream = ?",
                                         std::vector<SqlValue>{stream_});
    for (const auto& row : rows) {
      const std::int64_t seq = storage::AsInt(row[1]);
      funds_[storage::AsText(row[0])] = seq;
      next_fund_seq_ = std::max(next_fund_seq_, seq + 1);
    }
  }

  // ---- Sources ------------------------------------------------------------------------------

  void OpenSources() {
    std::vector<std::string> paths;
    for (const auto& input : options_.inputs) {
      if (input == "-") {
        paths.push_back(input);
        continue;
      }
      if (input.find_first_of("*?[") == std::string::npos) {
        paths.push_back(input);  // a path: must exist (or, following, appear)
        continue;
      }
      glob_t matches{};
      if (glob(input.c_str(), GLOB_TILDE, nullptr, &matches) == 0) {
        for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
      } else {
        std::fprintf(stderr, "trend ingest: warning: no file matches %s\n", input.c_str());
      }
      globfree(&matches);
    }
    if (paths.empty()) throw InputError("trend ingest: no input file (give files, globs or -)");
    for (const auto& path : paths) {
      auto source = std::make_unique<Source>();
      source->path = path;
      if (path == "-") {
        source->key = "-";
        source->fd = STDIN_FILENO;
      } else {
        std::error_code error;
        source->key = std::filesystem::absolute(path, error).lexically_normal().string();
        if (!OpenFile(*source, true)) {
          if (!options_.follow)
            throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
          // Following a file that does not exist yet: wait for it, as tail -F does.
        }
      }
      source->source_id = SourceId(source->key);
      sources_.push_back(std::move(source));
    }
    counters_.files = sources_.size();
  }

  // The source's row in ingest_sources, added if new (before the writer starts: the reader's
  // rows carry the id).
  std::int64_t SourceId(const std::string& key) {
    constexpr std::string_view kColumns[] = {"stream", "source"};
    const std::string values[] = {stream_, key};
    storage::Transaction transaction(*connection_);
    const std::int64_t id = storage::DimensionRowId(
        *connection_, "ingest_sources", storage::SourceHash(stream_, key), kColumns, values);
    transaction.Commit();
    return id;
  }

  // Opens the path and positions it at its checkpoint when the checkpoint is for this very
  // file (same file identity and first bytes); else from the start.
  bool OpenFile(Source& source, bool resume) {
    const int fd = open(source.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      close(fd);
      if (!options_.follow) throw InputError(fmt::format("{}: not a regular file", source.path));
      return false;
    }
    if (source.fd > 0) close(source.fd);
    source.fd = fd;
    source.file_id = FileId(info);
    source.offset = source.read_to = source.line = source.hinted_to = 0;
    source.pending.clear();
    source.head.clear();
    source.occurrences.Clear();
    source.reject_occurrences.clear();
    source.columns.reset();
    counters_.bytes_total += static_cast<std::uint64_t>(info.st_size);
    if (resume) Resume(source, static_cast<std::uint64_t>(info.st_size));
    return true;
  }

  std::string ReadAt(int fd, std::uint64_t from, std::uint64_t length) {
    std::string bytes(length, '\0');
    std::size_t done = 0;
    while (done < length) {
      const ssize_t got =
          pread(fd, bytes.data() + done, length - done, static_cast<off_t>(from + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    bytes.resize(done);
    return bytes;
  }

  void Resume(Source& source, std::uint64_t size) {
    const auto rows = connection_->Query(
        "SELECT file_id, fingerprint, fingerprint_length, read_offset, window_offset, "
        "window_cutoff, newest, line, lines_read, rejects FROM checkpoints "
        "WHERE stream = ? AND source = ?",
        std::vector<SqlValue>{stream_, source.key});
    if (rows.empty()) return;
    const auto& row = rows[0];
    const auto fingerprint_length = static_cast<std::uint64_t>(storage::AsInt(row[2]));
    const auto read_offset = static_cast<std::uint64_t>(storage::AsInt(row[3]));
    source.lines_read = static_cast<std::uint64_t>(storage::AsInt(row[8]));
    source.rejects = static_cast<std::uint64_t>(storage::AsInt(row[9]));
    const bool same_file =
        storage::AsText(row[0]) == source.file_id && size >= read_offset &&
        size >= fingerprint_length &&
        Fingerprint(ReadAt(source.fd, 0, fingerprint_length)) == storage::AsText(row[1]);
    if (!same_file) return;  // rotated, replaced or truncated: from the start (identities dedupe)
    source.head = ReadAt(source.fd, 0, std::min<std::uint64_t>(read_offset, kFingerprintBytes));
    const auto window_offset = static_cast<std::uint64_t>(storage::AsInt(row[4]));
    const std::int64_t cutoff = storage::AsInt(row[5]);
    if (options_.format == InputFormat::kReturns && read_offset > 0) {
      // The header (if any) is the first line.
      const std::string first =
          ReadAt(source.fd, 0, std::min<std::uint64_t>(read_offset, 64 * 1024));
      std::string line = first.substr(0, first.find('\n'));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string reason;
      source.columns = ReadFeedHeader(line, reason).value_or(FeedColumns{});
    }
    if (IsLogFormat(options_.format) && window_offset < read_offset) {
      // Rebuild the occurrence counts of the lines still inside the window.
      const std::string window = ReadAt(source.fd, window_offset, read_offset - window_offset);
      std::size_t start = 0;
      while (start < window.size()) {
        std::size_t end = window.find('\n', start);
        if (end == std::string::npos) end = window.size();
        std::string_view line(window.data() + start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (const auto time = LineTime(line); time && *time >= cutoff) {
          source.occurrences.Next(LineHash(line), *time, window_offset + start);
        }
        start = end + 1;
      }
    }
    source.occurrences.Restore(storage::AsInt(row[6]));
    const auto rejects = connection_->Query(
        "SELECT line_hash, MAX(occurrence) FROM rejects WHERE stream = ? AND source = ? "
        "GROUP BY line_hash",
        std::vector<SqlValue>{stream_, source.key});
    for (const auto& reject : rejects) {
      source.reject_occurrences[static_cast<std::uint64_t>(storage::AsInt(reject[0]))] =
          static_cast<std::uint64_t>(storage::AsInt(reject[1])) + 1;
    }
    source.offset = source.read_to = source.hinted_to = read_offset;
    source.line = static_cast<std::uint64_t>(storage::AsInt(row[7]));
    counters_.bytes_read += read_offset;
  }

  AccessLogFormat AccessFormat() const {
    return options_.format == InputFormat::kCommon ? AccessLogFormat::kCommon
                                                   : AccessLogFormat::kCombined;
  }

  std::optional<std::int64_t> LineTime(std::string_view line) {
    std::string reason;
    if (options_.format == InputFormat::kTrendErrors) {
      const auto event = ParseErrorLine(line, reason);
      return event ? std::optional<std::int64_t>(event->time) : std::nullopt;
    }
    AccessFields record;
    return ParseAccessFields(line, AccessFormat(), record, scratch_, reason)
               ? std::optional<std::int64_t>(record.time)
               : std::nullopt;
  }

  // Reads what the source has now; true if anything was read.
  bool ReadAvailable(Source& source) {
    if (source.fd < 0) {
      if (options_.follow && source.key != "-" && OpenFile(source, true)) return true;
      return false;
    }
    bool any = false;
    std::string chunk(kReadChunk, '\0');
    for (;;) {
      if (source.key != "-" && source.hinted_to < source.read_to + kReadAhead / 2) {
        // The next megabytes are read from disk while these are parsed: a file not in the page
        // cache (an old log, or one evicted by the database's own writes) otherwise stalls the
        // reader at every chunk (a third of its time on a 10M-line load into PostgreSQL).
        const std::uint64_t from = std::max(source.hinted_to, source.read_to);
        posix_fadvise(source.fd, static_cast<off_t>(from),
                      static_cast<off_t>(source.read_to + kReadAhead - from), POSIX_FADV_WILLNEED);
        source.hinted_to = source.read_to + kReadAhead;
      }
      const ssize_t got = source.key == "-" ? read(source.fd, chunk.data(), chunk.size())
                                            : pread(source.fd, chunk.data(), chunk.size(),
                                                    static_cast<off_t>(source.read_to));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw InputError(fmt::format("{}: cannot read: {}", source.path, std::strerror(errno)));
      if (got == 0) {
        if (source.key == "-") source.finished = true;
        break;
      }
      any = true;
      source.read_to += static_cast<std::uint64_t>(got);
      counters_.bytes_read += static_cast<std::uint64_t>(got);
      Consume(source, std::string_view(chunk.data(), static_cast<std::size_t>(got)));
      Report(false);
      if (stop_.load()) break;
    }
    return any;
  }

  void Consume(Source& source, std::string_view bytes) {
    if (source.head.size() < kFingerprintBytes) {
      source.head.append(bytes.substr(0, kFingerprintBytes - source.head.size()));
    }
    std::size_t start = 0;
    if (!source.pending.empty()) {
      const std::size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) {
        source.pending.append(bytes);
        return;
      }
      source.pending.append(bytes.substr(0, newline));
      const std::string line = std::move(source.pending);
      source.pending.clear();
      HandleLine(source, line, line.size() + 1);
      start = newline + 1;
    }
    while (start < bytes.size()) {
      const void* found = std::memchr(bytes.data() + start, '\n', bytes.size() - start);
      if (found == nullptr) {
        source.pending.assign(bytes.substr(start));
        return;
      }
      const std::size_t end =
          static_cast<std::size_t>(static_cast<const char*>(found) - bytes.data());
      HandleLine(source, bytes.substr(start, end - start), end + 1 - start);
      start = end + 1;
    }
  }

  // The source ended (not following): a last line without a newline is loaded, but the read
  // position stays before it, so a later run that finds it completed loads it once.
  void FinishSource(Source& source) {
    if (!source.pending.empty()) {
      const std::string line = std::move(source.pending);
      source.pending.clear();
      HandleLine(source, line, 0);
    }
    source.finished = true;
  }

  void CheckRotation(Source& source) {
    if (source.key == "-" || source.fd < 0) return;
    struct stat now {};
    if (stat(source.path.c_str(), &now) != 0) return;  // moved away, not yet re-created
    if (FileId(now) != source.file_id) {
      // Rotated: the old file (still open) may have a last few lines; then the new one.
      ReadAvailable(source);
      FinishSource(source);
      Commit();
      source.finished = false;
      OpenFile(source, false);
    } else if (static_cast<std::uint64_t>(now.st_size) < source.read_to ||
               ReadAt(source.fd, 0, source.head.size()) != source.head) {
      // Truncated in place (copytruncate), even if already written past where we were: the
      // first bytes are not those read before. The new content from the start.
      Commit();
      OpenFile(source, false);
    }
  }

  // ---- Records ------------------------------------------------------------------------------

  // `length` is the bytes the line took in the file with its newline (0: unterminated).
  void HandleLine(Source& source, std::string_view line, std::size_t length) {
    const std::uint64_t line_offset = source.offset;
    const std::uint64_t number = source.line + 1;
    if (length > 0) {
      source.offset += length;
      source.line = number;
    }
    source.dirty = true;
    ++source.lines_read;
    ++counters_.lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string reason;
    switch (options_.format) {
      case InputFormat::kCombined:
      case InputFormat::kCommon: {
        // The line's slot in the occurrence table is fetched from memory while it is parsed.
        const std::uint64_t line_hash = LineHash(line);
        source.occurrences.Prefetch(line_hash);
        AccessFields fields;
        if (!ParseAccessFields(line, AccessFormat(), fields, scratch_, reason)) {
          return Reject(source, line, number, reason);
        }
        const AccessFields* record = &fields;
        const RecordKey key = IdentityOf(
            stream_, line, source.occurrences.Next(line_hash, record->time, line_offset));
        Admit(batch_->requests, key, record->time);
        RowBatch& rows = batch_->requests.rows;
        auto local = [&](DimensionIndex dimension, std::string_view text) {
          return dictionaries_[dimension].Local(text, batch_->new_texts[dimension]);
        };
        rows.Int(record->time);
        rows.Int(key.hi);
        rows.Int(key.lo);
        rows.Int(static_cast<std::int64_t>(number));
        rows.Int(record->bytes);
        if (record->request_time) {
          rows.Real(*record->request_time);
        } else {
          rows.Null();
        }
        rows.Int(source.source_id);
        rows.Int(local(kMethods, record->method));
        rows.Int(local(kProtocols, record->protocol));
        rows.Int(local(kRoutes, record->route));
        rows.Int(local(kReferrers, record->referrer));
        rows.Int(local(kAgents, record->user_agent));
        rows.Int(record->status);
        rows.Text(record->client);
        rows.OptionalText(record->user == "-" ? std::string_view()
                                              : std::string_view(record->user));
        rows.Text(record->path);
        rows.OptionalText(record->query);
        rows.OptionalText(record->run_id);
        break;
      }
      case InputFormat::kTrendErrors: {
        const auto event = ParseErrorLine(line, reason);
        if (!event) return Reject(source, line, number, reason);
        const RecordKey key = IdentityOf(
            stream_, line, source.occurrences.Next(LineHash(line), event->time, line_offset));
        Admit(batch_->events, key, event->time);
        RowBatch& rows = batch_->events.rows;
        rows.Int(event->time);
        rows.Int(key.hi);
        rows.Int(key.lo);
        rows.Text(stream_);
        rows.OptionalText(event->level);
        rows.Text(event->event);
        rows.OptionalText(event->run_id);
        rows.Text(event->fields);
        rows.Text(source.key);
        rows.Int(static_cast<std::int64_t>(number));
        break;
      }
      case InputFormat::kReturns: {
        if (!source.columns) {
          const auto header = ReadFeedHeader(line, reason);
          if (header && header->count == 0) {
            throw InputError(fmt::format("{} line {}: {}", source.path, number, reason));
          }
          source.columns = header.value_or(FeedColumns{});
          if (header) return;  // the header line itself
        }
        if (line.empty()) return;
        auto record = ParseReturnLine(line, *source.columns, reason);
        if (!record) return Reject(source, line, number, reason);
        const RecordKey key = IdentityOf(stream_, ReturnKeyText(*record), 0);
        const bool maybe = bloom_.AddHash(key.BloomHash());
        batch_->returns.push_back({key, std::move(*record), source.key, number, maybe});
        break;
      }
    }
    // The first batches are smaller, so the writer starts while the reader fills the next.
    const std::size_t ramp = batches_submitted_ < 8 ? kFirstBatch << batches_submitted_ : SIZE_MAX;
    if (BatchSize() >= std::min(options_.batch_records, ramp)) {
      Commit();
    }
  }

  // Records the key; the Bloom filter's answer ("maybe" keys are confirmed at commit) is filled
  // in kBloomLookahead keys later, when its memory has been prefetched: a filter of millions of
  // keys is far bigger than the cache, and its misses were a fifth of the reader's time.
  void Admit(TableBatch& batch, const RecordKey& key, std::int64_t time) {
    batch.keys.push_back({key, time, false});
    bloom_.PrefetchHash(key.BloomHash());
    unanswered_.push_back({&batch, batch.keys.size() - 1});
    if (unanswered_.size() > kBloomLookahead) AnswerOldest();
  }

  void AnswerOldest() {
    const auto [batch, index] = unanswered_.front();
    unanswered_.pop_front();
    PendingKey& pending = batch->keys[index];
    pending.maybe = bloom_.AddHash(pending.key.BloomHash());
    if (pending.maybe) ++batch->maybes;
  }

  // Every key of the batch has its answer (before it is handed to the writer).
  void AnswerAll() {
    while (!unanswered_.empty()) AnswerOldest();
  }

  void Reject(Source& source, std::string_view line, std::uint64_t number,
              const std::string& reason) {
    const std::uint64_t hash = LineHash(line);
    const std::uint64_t occurrence = source.reject_occurrences[hash]++;
    const RecordKey key = IdentityOf(stream_, fmt::format("\x01reject\x01{}", line), occurrence);
    ++counters_.rejects;
    ++source.rejects;
    Admit(batch_->rejects, key, 0);
    RowBatch& rows = batch_->rejects.rows;
    rows.Int(key.hi);
    rows.Int(key.lo);
    rows.Int(static_cast<std::int64_t>(hash));
    rows.Int(static_cast<std::int64_t>(occurrence));
    rows.Text(stream_);
    rows.Text(InputFormatName(options_.format));
    rows.Text(source.key);
    rows.Int(static_cast<std::int64_t>(number));
    rows.Text(reason);
    // Raw text, truncated, and valid UTF-8 for PostgreSQL's TEXT: other bytes as \xHH.
    std::string raw;
    for (const char c : line.substr(0, kRawRejectBytes)) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x20 && byte < 0x7F) {
        raw += c;
      } else {
        raw += fmt::format("\\x{:02X}", byte);
      }
    }
    if (line.size() > kRawRejectBytes) raw += "...";
    rows.Text(raw);
    rows.Text(storage::UtcTimestamp());
  }

  // ---- Commit -------------------------------------------------------------------------------

  // Hands the batch, with every source's read position, to the writer; the next one starts.
  void Commit() {
    AnswerAll();
    if (BatchSize() == 0) return;
    for (auto& source : sources_) {
      if (source->dirty) batch_->checkpoints.push_back(CheckpointRow(*source));
      source->dirty = false;
    }
    ++batches_submitted_;
    // The requests go in their primary key's order (ts, key_hi, key_lo: their first three
    // columns): each row then lands at the right edge of the B-tree rather than among the last
    // second's rows (2M rows into SQLite alone: 826k-870k rows/s sorted, 610k-804k not). Sorted
    // here, since the writer is the bound: SQLite's work per row is more than this thread's
    // per line. The keys come from the batch's compact list of them, in the rows' order, not
    // from the rows' cells (288 bytes a row apart, most of the cost when they were read).
    std::vector<storage::RowKey>& keys = row_keys_;
    keys.clear();
    for (const PendingKey& pending : batch_->requests.keys) {
      keys.push_back(
          {pending.time, pending.key.hi, pending.key.lo, static_cast<std::uint32_t>(keys.size())});
    }
    batch_->requests.order = storage::OrderOfRows(keys);
    std::shared_ptr<Batch> batch(std::move(batch_));
    batch_ = TakeSpareBatch();
    if (!batch_) batch_ = std::make_unique<Batch>();
    // The next batch of this kind will look like this one, up to a full one: room for that up
    // front, also in a spare batch from the first, smaller ones. Grown by doubling instead,
    // its 14 MB of cells were copied and their pages faulted in again at each step.
    ReserveLike(batch_->requests, batch->requests);
    ReserveLike(batch_->events, batch->events);
    writer_->Submit([this, batch](std::size_t lane, BatchWriter::Turn& turn) {
      WriteBatch(lanes_[lane], turn, *batch);
      batch->clear();
      std::lock_guard lock(spare_mutex_);
      if (spare_batches_.size() < 3)
        spare_batches_.push_back(std::make_unique<Batch>(std::move(*batch)));
    });
    last_commit_ = Clock::now();
    CheckRejectRate(false);
    Report();
  }

  void ReserveLike(TableBatch& next, const TableBatch& previous) const {
    const std::size_t rows = previous.rows.rows();
    if (rows == 0) return;
    const std::size_t full = std::max(rows, options_.batch_records);
    // The text per row varies a little from batch to batch: an eighth more.
    const std::size_t text = previous.rows.TextBytes() / rows * full;
    next.rows.Reserve(full, text + text / 8);
    next.keys.reserve(full);
  }

  // A batch the writer has finished with, cleared but with its memory: reusing it spares the
  // allocator and the page faults of a new one per commit.
  std::unique_ptr<Batch> TakeSpareBatch() {
    std::lock_guard lock(spare_mutex_);
    if (spare_batches_.empty()) return nullptr;
    auto batch = std::move(spare_batches_.back());
    spare_batches_.pop_back();
    return batch;
  }

  // On a lane's thread. The rows whose keys the filter answered "definitely new" hold no key of
  // an earlier batch, so they are written while the batches before this one still are; its
  // "maybe" keys are looked up once those have committed (WriteBatchOnce). A batch with
  // returns, which update rows, waits for the earlier commits before anything. Every batch
  // commits after the one before it.
  void WriteBatch(WriterLane& lane, BatchWriter::Turn& turn, Batch& batch) {
    if (!batch.returns.empty()) turn.AwaitEarlier(kCommitStep);
    turn.AwaitEarlier(kDimensionStep);
    ResolveDimensions(*lane.db, batch);
    turn.Pass(kDimensionStep);
    bool confirm_all = false;
    for (int attempt = 1;; ++attempt) {
      try {
        WriteBatchOnce(lane, turn, batch, confirm_all);
        break;
      } catch (const storage::DuplicateKeyError&) {
        // Another loader added some of these since our filter was loaded: confirm every key.
        if (confirm_all) throw;
      } catch (const storage::ConflictError& error) {
        // Another loader's transaction held what this one needed (see kLockTimeout).
        if (attempt >= kConflictAttempts) throw;
        std::fprintf(stderr, "trend ingest: warning: %s; retrying the batch\n", error.what());
      }
      confirm_all = true;
      turn.AwaitEarlier(kCommitStep);
    }
    ++batches_;
  }

  // The batch's new methods, routes, user agents, ... get their ids, in a transaction of their
  // own (a text without rows is harmless, and retrying the rows then keeps the same ids), and
  // the rows' local numbers become those ids. In batch order: a text is new in the first batch
  // that has it.
  void ResolveDimensions(SqlConnection& db, Batch& batch) {
    const bool any_new = std::any_of(batch.new_texts.begin(), batch.new_texts.end(),
                                     [](const auto& texts) { return !texts.empty(); });
    if (any_new) {
      storage::Transaction transaction(db);
      for (std::size_t d = 0; d < kDimensions; ++d)
        dimension_ids_[d].Resolve(db, batch.new_texts[d]);
      transaction.Commit();
    }
    RowBatch& rows = batch.requests.rows;
    for (std::size_t row = 0; row < rows.rows(); ++row) {
      for (std::size_t d = 0; d < kDimensions; ++d) {
        const std::size_t column = kRequestDimensions[d].row_column;
        rows.SetInt(row, column, dimension_ids_[d].Id(rows.cell(row, column).number));
      }
    }
  }

  void WriteBatchOnce(WriterLane& lane, BatchWriter::Turn& turn, const Batch& batch,
                      bool confirm_all) {
    SqlConnection& db = *lane.db;
    storage::Transaction transaction(db);
    std::uint64_t records = 0, duplicates = 0, corrections = 0;
    const TableBatch* const tables[] = {&batch.requests, &batch.events, &batch.rejects};
    // First the rows the filter called definitely new (every row, unless this is a retry with
    // every key to confirm), while the earlier batches may still be writing theirs.
    std::vector<std::uint32_t> order;
    if (!confirm_all) {
      for (const TableBatch* table : tables) {
        if (table->maybes == 0) {
          db.AppendRows(table->table, table->rows, table->order);
          continue;
        }
        RowsInOrder(
            *table, [&](std::size_t row) { return !table->keys[row].maybe; }, order);
        if (!order.empty()) db.AppendRows(table->table, table->rows, order);
      }
    }
    // Then the "maybe" keys, looked up once the earlier batches have committed, so that the
    // look-ups see their rows; those in neither the table nor earlier in the batch go in.
    turn.AwaitEarlier(kCommitStep);
    for (const TableBatch* table : tables) {
      if (table->keys.empty()) continue;
      const std::vector<bool> keep = Confirm(lane, *table, confirm_all);
      const std::size_t kept = static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true));
      if (confirm_all || table->maybes > 0) {
        RowsInOrder(
            *table,
            [&](std::size_t row) { return keep[row] && (confirm_all || table->keys[row].maybe); },
            order);
        if (!order.empty()) db.AppendRows(table->table, table->rows, order);
      }
      if (table != &batch.rejects) {
        records += kept;
        duplicates += keep.size() - kept;
      }
    }
    // Funds first seen in this batch: known to the next ones once it has committed (a retried
    // batch sees them as new again).
    std::unordered_map<std::string, std::int64_t> added_funds;
    if (!batch.returns.empty()) {
      CommitReturns(db, batch.returns, confirm_all, added_funds, records, duplicates, corrections);
    }
    // The read positions, and the commit, come after the batch before has committed (awaited
    // above): a position must never be in the database before the rows read ahead of it. (The
    // checkpoint rows it updated are then free, too.)
    for (const auto& row : batch.checkpoints) SaveCheckpoint(db, row);
    transaction.Commit();
    for (const auto& [fund, seq] : added_funds) {
      funds_.emplace(fund, seq);
      next_fund_seq_ = std::max(next_fund_seq_, seq + 1);
    }
    records_ += records;
    duplicates_ += duplicates;
    corrections_ += corrections;
  }

  // The rows of `table` that `wanted` picks, in the order they are written (key order).
  template <typename Wanted>
  static void RowsInOrder(const TableBatch& table, Wanted wanted, std::vector<std::uint32_t>& out) {
    out.clear();
    for (std::size_t i = 0; i < table.keys.size(); ++i) {
      const std::uint32_t row =
          table.order.empty() ? static_cast<std::uint32_t>(i) : table.order[i];
      if (wanted(row)) out.push_back(row);
    }
  }

  // Which rows of the batch to insert: the Bloom filter's "definitely new" ones, and those of
  // its "maybe" ones that are neither earlier in the batch nor in the table.
  std::vector<bool> Confirm(WriterLane& lane, const TableBatch& batch, bool confirm_all) {
    std::vector<bool> keep(batch.keys.size(), true);
    if (batch.maybes == 0 && !confirm_all) return keep;
    // Where each "maybe" key first occurs in the batch: a later one is a repeat inside it. A
    // map of the few maybes, probed with every key, not a set of every key.
    std::unordered_map<RecordKey, std::size_t, RecordKeyHash> first_at;
    for (const auto& pending : batch.keys) {
      if (pending.maybe || confirm_all) first_at.try_emplace(pending.key, batch.keys.size());
    }
    for (std::size_t i = 0; i < batch.keys.size(); ++i) {
      const auto it = first_at.find(batch.keys[i].key);
      if (it != first_at.end() && it->second > i) it->second = i;
    }
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < batch.keys.size(); ++i) {
      const PendingKey& pending = batch.keys[i];
      if (!pending.maybe && !confirm_all) continue;
      if (first_at.at(pending.key) < i) {
        keep[i] = false;  // a repeat inside the batch
      } else {
        candidates.push_back(i);
      }
    }
    maybe_seen_ += candidates.size();
    const bool by_time = batch.table != std::string_view("rejects");
    // One statement of kKeysPerLookup keys, prepared once (a short last group repeats its last
    // key). A join on a VALUES list (not "IN (VALUES ...)", which SQLite answers by scanning the
    // whole index) looks each key up in the unique index, in SQLite and PostgreSQL alike.
    const std::string& sql = LookupSql(lane.lookup_sql, batch.table, by_time ? 3 : 2);
    std::vector<SqlValue> params;
    std::unordered_set<RecordKey, RecordKeyHash> existing;
    for (std::size_t start = 0; start < candidates.size(); start += kKeysPerLookup) {
      const std::size_t end = std::min(candidates.size(), start + kKeysPerLookup);
      params.clear();
      for (std::size_t i = 0; i < kKeysPerLookup; ++i) {
        const PendingKey& pending = batch.keys[candidates[std::min(start + i, end - 1)]];
        if (by_time) params.emplace_back(pending.time);
        params.emplace_back(pending.key.hi);
        params.emplace_back(pending.key.lo);
      }
      existing.clear();
      for (const auto& row : lane.db->Query(sql, params))
        existing.insert({storage::AsInt(row[0]), storage::AsInt(row[1])});
      for (std::size_t c = start; c < end; ++c) {
        if (existing.contains(batch.keys[candidates[c]].key)) keep[candidates[c]] = false;
      }
    }
    return keep;
  }

  // SELECT of the keys of `table` among kKeysPerLookup given ones: (ts, key_hi, key_lo) when
  // `columns` is 3, (key_hi, key_lo) when 2.
  static const std::string& LookupSql(std::map<std::pair<std::string, int>, std::string>& cache,
                                      const char* table, int columns) {
    std::string& sql = cache[{table, columns}];
    if (!sql.empty()) return sql;
    const std::string tuple = columns == 3
                                  ? "(CAST(? AS BIGINT),CAST(? AS BIGINT),CAST(? AS BIGINT))"
                                  : "(CAST(? AS BIGINT),CAST(? AS BIGINT))";
    std::string values;
    for (std::size_t i = 0; i < kKeysPerLookup; ++i) values += i == 0 ? tuple : "," + tuple;
    sql = columns == 3 ? fmt::format(
                             "SELECT t.key_hi, t.key_lo FROM (VALUES {}) AS v JOIN {} AS t ON "
                             "t.ts = v.column1 AND t.key_hi = v.column2 AND t.key_lo = v.column3",
                             values, table)
                       : fmt::format(
                             "SELECT t.key_hi, t.key_lo FROM (VALUES {}) AS v JOIN {} AS t ON "
                             "t.key_hi = v.column1 AND t.key_lo = v.column2",
                             values, table);
    return sql;
  }

  // Returns: new (date, fund, source) keys are inserted; a different value for a key already
  // held is a correction (the value replaced, the change kept in returns_history); the same
  // value again is a duplicate.
  void CommitReturns(SqlConnection& db, const std::vector<PendingReturn>& returns, bool confirm_all,
                     std::unordered_map<std::string, std::int64_t>& added_funds,
                     std::uint64_t& records, std::uint64_t& duplicates,
                     std::uint64_t& corrections) {
    // Current values of the keys the filter may have seen.
    std::unordered_map<std::string, std::optional<double>> current;
    std::vector<const PendingReturn*> lookups;
    for (const auto& pending : returns) {
      if (pending.maybe || confirm_all) lookups.push_back(&pending);
    }
    maybe_seen_ += lookups.size();
    for (std::size_t start = 0; start < lookups.size(); start += kKeysPerLookup / 3) {
      const std::size_t end = std::min(lookups.size(), start + kKeysPerLookup / 3);
      // A join on the VALUES list, so each key is a primary-key lookup (see Confirm).
      std::string sql = "SELECT r.date, r.fund, r.source, r.value FROM (VALUES ";
      std::vector<SqlValue> params;
      for (std::size_t i = start; i < end; ++i) {
        sql += i > start ? ",(?,?,?)" : "(?,?,?)";
        params.emplace_back(FormatDate(lookups[i]->record.date));
        params.emplace_back(lookups[i]->record.fund);
        params.emplace_back(lookups[i]->record.source);
      }
      sql +=
          ") AS v JOIN returns AS r ON r.stream = ? AND r.date = v.column1 AND "
          "r.fund = v.column2 AND r.source = v.column3";
      params.emplace_back(stream_);
      for (const auto& row : db.Query(sql, params)) {
        const std::string key = fmt::format("{}\x1f{}\x1f{}", storage::AsText(row[0]),
                                            storage::AsText(row[1]), storage::AsText(row[2]));
        current[key] =
            storage::IsNull(row[3]) ? std::nullopt : std::optional<double>(storage::AsReal(row[3]));
      }
    }
    RowBatch inserts({"stream", "date", "fund", "source", "value", "updated_at"});
    RowBatch history({"stream", "date", "fund", "source", "value", "previous", "change",
                      "ingested_at", "file", "line"});
    RowBatch new_funds({"stream", "fund", "seq"});
    auto known_fund = [&](const std::string& fund) {
      return funds_.contains(fund) || added_funds.contains(fund);
    };
    std::map<std::string, std::size_t>
        inserted_row;  // key -> row in `inserts`, for later changes in the batch
    std::vector<std::optional<double>> insert_values;
    const std::string now = storage::UtcTimestamp();
    auto real_or_null = [](RowBatch& rows, const std::optional<double>& value) {
      if (value) {
        rows.Real(*value);
      } else {
        rows.Null();
      }
    };
    std::vector<std::pair<std::string, const PendingReturn*>> updates;
    for (const auto& pending : returns) {
      const ReturnRecord& r = pending.record;
      const std::string key = ReturnKeyText(r);
      const auto held = current.find(key);
      std::string change;
      std::optional<double> previous;
      if (held == current.end()) {
        change = "insert";
        current[key] = r.value;
        inserted_row[key] = insert_values.size();
        insert_values.push_back(r.value);
        ++records;
        if (!known_fund(r.fund)) {
          const std::int64_t seq = next_fund_seq_ + static_cast<std::int64_t>(added_funds.size());
          added_funds[r.fund] = seq;
          new_funds.Text(stream_);
          new_funds.Text(r.fund);
          new_funds.Int(seq);
        }
      } else if (held->second == r.value ||
                 (held->second && r.value &&
                  std::memcmp(&*held->second, &*r.value, sizeof(double)) == 0)) {
        ++duplicates;
        continue;
      } else {
        change = "correction";
        previous = held->second;
        held->second = r.value;
        ++corrections;
        const auto row = inserted_row.find(key);
        if (row != inserted_row.end()) {
          insert_values[row->second] = r.value;  // corrected within the batch: insert the last
        } else {
          updates.emplace_back(key, &pending);
        }
      }
      history.Text(stream_);
      history.Text(FormatDate(r.date));
      history.Text(r.fund);
      history.Text(r.source);
      real_or_null(history, r.value);
      real_or_null(history, previous);
      history.Text(change);
      history.Text(now);
      history.Text(pending.file);
      history.Int(static_cast<std::int64_t>(pending.line));
    }
    // New rows in first-seen order, with the last value the batch gave them.
    std::vector<bool> emitted(insert_values.size(), false);
    for (const auto& pending : returns) {
      const auto it = inserted_row.find(ReturnKeyText(pending.record));
      if (it == inserted_row.end() || emitted[it->second]) continue;
      emitted[it->second] = true;
      inserts.Text(stream_);
      inserts.Text(FormatDate(pending.record.date));
      inserts.Text(pending.record.fund);
      inserts.Text(pending.record.source);
      real_or_null(inserts, insert_values[it->second]);
      inserts.Text(now);
    }
    db.AppendRows("funds", new_funds);
    db.AppendRows("returns", inserts);
    for (const auto& [key, pending] : updates) {
      const ReturnRecord& r = pending->record;
      const auto& value = current[key];
      std::vector<SqlValue> params = {value ? SqlValue(*value) : SqlValue(),
                                      now,
                                      stream_,
                                      FormatDate(r.date),
                                      r.fund,
                                      r.source};
      db.Query(
          "UPDATE returns SET value = ?, updated_at = ? WHERE stream = ? AND date = ? AND fund = ? "
          "AND source = ?",
          params);
    }
    db.AppendRows("returns_history", history);
  }

  // The source's read position now, as the checkpoint row the batch commits.
  std::vector<SqlValue> CheckpointRow(Source& source) {
    source.occurrences.Evict();
    const std::uint64_t fingerprint_length =
        std::min<std::uint64_t>(source.offset, source.head.size());
    return {stream_,
            source.key,
            source.file_id,
            Fingerprint(std::string_view(source.head).substr(0, fingerprint_length)),
            static_cast<std::int64_t>(fingerprint_length),
            static_cast<std::int64_t>(source.offset),
            static_cast<std::int64_t>(source.occurrences.WindowOffset(source.offset)),
            source.occurrences.WindowCutoff(),
            source.occurrences.Newest(),
            static_cast<std::int64_t>(source.line),
            static_cast<std::int64_t>(source.lines_read),
            static_cast<std::int64_t>(source.rejects),
            storage::UtcTimestamp()};
  }

  void SaveCheckpoint(SqlConnection& db, const std::vector<SqlValue>& row) {
    db.Query(
        "INSERT INTO checkpoints (stream, source, file_id, fingerprint, fingerprint_length, "
        "read_offset, window_offset, window_cutoff, newest, line, lines_read, rejects, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (stream, source) DO UPDATE SET file_id = excluded.file_id, "
        "fingerprint = excluded.fingerprint, fingerprint_length = excluded.fingerprint_length, "
        "read_offset = excluded.read_offset, window_offset = excluded.window_offset, "
        "window_cutoff = excluded.window_cutoff, newest = excluded.newest, line = excluded.line, "
        "lines_read = excluded.lines_read, rejects = excluded.rejects, "
        "updated_at = excluded.updated_at",
        row);
  }

  void CheckRejectRate(bool at_end) {
    if (options_.max_reject_rate >= 1 || counters_.lines == 0) return;
    if (counters_.lines < (at_end ? 20u : 1000u)) return;
    const double rate =
        static_cast<double>(counters_.rejects) / static_cast<double>(counters_.lines);
    if (rate > options_.max_reject_rate) {
      if (writer_) writer_->Drain();  // what was accepted is committed before failing
      Report();
      throw RejectRateError(fmt::format(
          "{} of {} lines rejected ({:.1f}%), more than --max-reject-rate {}: is --format {} "
          "right? What was accepted is loaded; the rejected lines are in table rejects of {}",
          counters_.rejects, counters_.lines, rate * 100, options_.max_reject_rate,
          InputFormatName(options_.format), connection_->name()));
    }
  }

  const IngestOptions& options_;
  const std::string stream_;
  const ProgressFn& progress_;
  const std::atomic<bool>& stop_;
  std::unique_ptr<SqlConnection> connection_;
  std::vector<storage::RowKey> row_keys_;  // Commit's, kept for its memory
  std::unique_ptr<Batch> batch_;           // being filled by the reader
  std::mutex spare_mutex_;
  std::vector<std::unique_ptr<Batch>> spare_batches_;  // written, cleared, for reuse
  std::vector<WriterLane> lanes_;
  std::unique_ptr<BatchWriter> writer_;  // its lanes use lanes_
  // The writers' counts.
  std::atomic<std::uint64_t> records_{0}, duplicates_{0}, corrections_{0}, maybe_seen_{0},
      batches_{0};
  // The writers', one batch at a time: a batch with returns starts once the earlier ones have
  // committed.
  std::unordered_map<std::string, std::int64_t> funds_;
  std::int64_t next_fund_seq_ = 0;
  bloom::ScalableBloomFilter bloom_;
  std::array<TextDictionary, kDimensions> dictionaries_;  // the reader's, by DimensionIndex
  std::string scratch_;                                   // the reader's, for ParseAccessFields
  int batches_submitted_ = 0;
  std::deque<std::pair<TableBatch*, std::size_t>> unanswered_;  // keys awaiting the filter
  // The writers', in batch order (kDimensionStep).
  std::array<DimensionIds, kDimensions> dimension_ids_ =
      MakeDimensionIds(std::make_index_sequence<kDimensions>());
  std::vector<std::unique_ptr<Source>> sources_;
  IngestCounters counters_;
  Clock::time_point started_, last_commit_, last_bloom_save_, last_report_;
};

}  // namespace

std::optional<InputFormat> ParseInputFormat(std::string_view name) {
  if (name == "combined") return InputFormat::kCombined;
  if (name == "common") return InputFormat::kCommon;
  if (name == "trend-errors") return InputFormat::kTrendErrors;
  if (name == "returns") return InputFormat::kReturns;
  return std::nullopt;
}

const char* InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kCombined:
      return "combined";
    case InputFormat::kCommon:
      return "common";
    case InputFormat::kTrendErrors:
      return "trend-errors";
    case InputFormat::kReturns:
      return "returns";
  }
  return "?";
}

const char* DefaultStream(InputFormat format) {
  switch (format) {
    case InputFormat::kCombined:
    case InputFormat::kCommon:
      return "access";
    case InputFormat::kTrendErrors:
      return "errors";
    case InputFormat::kReturns:
      return "returns";
  }
  return "?";
}

IngestCounters RunIngest(const IngestOptions& options, const ProgressFn& progress,
                         const std::atomic<bool>& stop) {
  Loader loader(options, progress, stop);
  return loader.Run();
}

}  // namespace trend::ingest
