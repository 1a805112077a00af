// SQLite: WAL (readers never block the loader, and a committed batch survives a killed
// process), synchronous=NORMAL (fsync at checkpoints, not at every commit), a large page
// cache, prepared statements kept per SQL text, and multi-row INSERTs for appends.
#include <sqlite3.h>

#include <fmt/format.h>
#include <bit>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "storage/sql_connection.hpp"
#include "storage/sqlite_checkpointer.hpp"
#include "storage/sqlite_connection.hpp"

namespace trend::storage {
namespace {

// Rows per multi-row INSERT, largest first: the rows go in groups of 512 (9,216 parameters
// for a log row, within SQLite's 32,766; 4% faster writes than groups of 64), and what is left
// in groups of 64, 8 and 1, so that at most three statements per table are prepared.
constexpr std::size_t kRowsPerInsert[] = {512, 64, 8, 1};
constexpr std::size_t kPrefetchRows = 4;

std::string FirstWords(std::string_view sql) {
  std::string out(sql.substr(0, std::min<std::size_t>(sql.size(), 60)));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out + (sql.size() > 60 ? "..." : "");
}

// SQLite counts every allocation under a global mutex unless told not to; we never read the
// counts. Must run before SQLite initialises, so once, before the first connection.
void DisableMemoryStatistics() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)done;
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(const std::string& path) : name_(path) {
    DisableMemoryStatistics();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw StorageError(fmt::format("{}: cannot open the SQLite database: {}", path, reason));
    }
    sqlite3_busy_timeout(db_, 30'000);
    sqlite3_extended_result_codes(db_, 1);
    // 16 KiB pages (taken only by a new database): fewer, larger page writes: 200k -> 246k
    // rows/s for ingest's rows in a bare insert test with 4 KiB pages before. Switching to WAL
    // needs a moment alone with the file, which the busy handler does not wait for: another process
    // creating or switching the same database answers "locked". Retried for as long as the busy
    // timeout.
    //
    // A small page cache (8 MiB): loading touches only the right edges of the B-trees, and a
    // large cache only made every new page a fresh page fault (256 MiB: 2M log rows 1.6x slower
    // in this VM). The OS caches the file for readers.
    const char* setup =
        "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
        "cache_size=-8192; PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF";
    for (int attempt = 0;; ++attempt) {
      const int status = sqlite3_exec(db_, setup, nullptr, nullptr, nullptr);
      if (status == SQLITE_OK) break;
      if ((status & 0xFF) != SQLITE_BUSY || attempt >= 600) Execute(setup);  // reports the error
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Checkpoints on a thread of their own, a round every 1,024 pages (16 MiB of WAL), and the
    // WAL started over every 4,096 (sqlite_checkpointer.hpp).
    checkpointer_.Attach(db_);
    max_parameters_ =
        static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
  }
  ~SqliteConnection() override {
    statements_.clear();
    checkpointer_.Stop();  // its connection closes first: ours, the last, removes the WAL
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return name_; }

  void Execute(std::string_view sql) override {
    char* message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string reason = message != nullptr ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      Fail(sql, reason);
    }
  }

  std::vector<SqlRow> Query(std::string_view sql, std::span<const SqlValue> params) override {
    sqlite3_stmt* statement = Prepared(sql);
    for (std::size_t i = 0; i < params.size(); ++i)
      Bind(statement, static_cast<int>(i + 1), params[i]);
    std::vector<SqlRow> rows;
    for (;;) {
      const int step = sqlite3_step(statement);
      if (step == SQLITE_DONE) break;
      if (step != SQLITE_ROW) {
        const std::string reason = sqlite3_errmsg(db_);
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);  // blobs are bound without a copy: gone after this
        Fail(sql, reason, step);
      }
      SqlRow row;
      const int columns = sqlite3_column_count(statement);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(statement, c)) {
          case SQLITE_INTEGER:
            row.emplace_back(std::int64_t{sqlite3_column_int64(statement, c)});
            break;
          case SQLITE_FLOAT:
            row.emplace_back(sqlite3_column_double(statement, c));
            break;
          case SQLITE_NULL:
            row.emplace_back(std::monostate{});
            break;
          case SQLITE_BLOB:
            row.emplace_back(SqlBlob{ColumnBytes(statement, c)});
            break;
          default:
            row.emplace_back(ColumnBytes(statement, c));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    return rows;
  }

  void Begin() override { Execute("BEGIN IMMEDIATE"); }
  void Commit() override { Execute("COMMIT"); }
  void Rollback() override { Execute("ROLLBACK"); }

  void AppendRows(std::string_view table, const RowBatch& rows,
                  std::span<const std::uint32_t> order) override {
    const std::size_t columns = rows.columns().size();
    const std::size_t count = order.empty() ? rows.rows() : order.size();
    if (count == 0) return;
    // Looked up once per call and group size: the statements are the same for every group.
    sqlite3_stmt* statements[std::size(kRowsPerInsert)] = {};
    std::size_t row = 0;
    while (row < count) {
      std::size_t size = 0;
      while (count - row < kRowsPerInsert[size] || kRowsPerInsert[size] * columns > max_parameters_)
        ++size;
      const std::size_t group = kRowsPerInsert[size];
      if (statements[size] == nullptr)
        statements[size] = Prepared(InsertSql(table, rows.columns(), group));
      sqlite3_stmt* statement = statements[size];
      int parameter = 1;
      for (std::size_t i = row; i < row + group; ++i) {
        const std::size_t r = order.empty() ? i : order[i];
        if (i + kPrefetchRows < count) {
          // In key order the rows are read out of place: their cells fetched ahead.
          const std::size_t ahead = order.empty() ? i + kPrefetchRows : order[i + kPrefetchRows];
          const char* cells = reinterpret_cast<const char*>(&rows.cell(ahead, 0));
          for (std::size_t offset = 0; offset < columns * sizeof(RowBatch::Cell); offset += 64)
            __builtin_prefetch(cells + offset);
        }
        for (std::size_t c = 0; c < columns; ++c)
          BindCell(statement, parameter++, rows, rows.cell(r, c));
      }
      const int step = sqlite3_step(statement);
      sqlite3_reset(statement);
      if (step != SQLITE_DONE) {
        const std::string reason = sqlite3_errmsg(db_);
        Fail(fmt::format("INSERT INTO {}", table), reason, step);
      }
      row += group;
    }
  }

 private:
  [[noreturn]] void Fail(std::string_view sql, const std::string& reason, int code = 0) const {
    const std::string message = fmt::format("{}: {} (in: {})", name_, reason, FirstWords(sql));
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
      throw DuplicateKeyError(message);
    }
    throw StorageError(message);
  }

  static std::string InsertSql(std::string_view table, const std::vector<std::string>& columns,
                               std::size_t rows) {
    std::string one = "(";
    for (std::size_t c = 0; c < columns.size(); ++c) one += c == 0 ? "?" : ",?";
    one += ")";
    std::string sql = fmt::format("INSERT INTO {}({}) VALUES ", table, fmt::join(columns, ","));
    for (std::size_t r = 0; r < rows; ++r) {
      if (r > 0) sql += ',';
      sql += one;
    }
    return sql;
  }

  sqlite3_stmt* Prepared(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second.get();
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &statement, nullptr) != SQLITE_OK) {
      Fail(sql, sqlite3_errmsg(db_));
    }
    return statements_.emplace(std::string(sql), StatementPtr(statement)).first->second.get();
  }

  void Bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      sqlite3_bind_int64(statement, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      sqlite3_bind_double(statement, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      sqlite3_bind_text(statement, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else if (const auto* b = std::get_if<SqlBlob>(&value)) {
      // Not copied (a Bloom filter's snapshot is tens of MB): the caller's value outlives the
      // statement's run, and the bindings are cleared before Query returns.
      sqlite3_bind_blob64(statement, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
    } else {
      sqlite3_bind_null(statement, index);
    }
  }

  static std::string ColumnBytes(sqlite3_stmt* statement, int column) {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, column));
    return std::string(bytes != nullptr ? bytes : "",
                       static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
  }

  static void BindCell(sqlite3_stmt* statement, int index, const RowBatch& rows,
                       const RowBatch::Cell& cell) {
    switch (cell.kind) {
      case RowBatch::Kind::kInt:
        sqlite3_bind_int64(statement, index, cell.number);
        break;
      case RowBatch::Kind::kReal:
        sqlite3_bind_double(statement, index, rows.RealOf(cell));
        break;
      case RowBatch::Kind::kText: {
        const std::string_view text = rows.TextOf(cell);
        sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_STATIC);
        break;
      }
      case RowBatch::Kind::kNull:
        sqlite3_bind_null(statement, index);
        break;
    }
  }

  struct Finalize {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalize>;

  std::string name_;
  sqlite3* db_ = nullptr;
  std::map<std::string, StatementPtr, std::less<>> statements_;
  SqliteCheckpointer checkpointer_{name_, 1024};
  std::size_t max_parameters_ = 999;  // SQLite's limit per statement
};

}  // namespace

std::unique_ptr<SqlConnection> ConnectSqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace trend::storage
