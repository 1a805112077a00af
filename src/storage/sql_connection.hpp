// The one small interface in front of the databases we write to and read from: SQLite (the
// embedded default) and PostgreSQL. Callers write portable SQL with `?` placeholders; bulk
// appends go through AppendRows, which each backend does its fastest way (SQLite: prepared
// multi-row INSERTs; PostgreSQL: COPY). Nothing above this file knows which one it talks to.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "error/input_error.hpp"

namespace trend::storage {

// A database that cannot be opened or refuses a statement: names the database and the
// statement's first words.
class StorageError : public InputError {
 public:
  using InputError::InputError;
};

// A unique key already held the row being appended.
class DuplicateKeyError : public StorageError {
 public:
  using StorageError::StorageError;
};

// Another transaction held a lock this one needed for too long (lock_timeout), or the server
// found the two waiting on each other: the transaction was rolled back and may be retried.
class ConflictError : public StorageError {
 public:
  using StorageError::StorageError;
};

enum class Dialect { kSqlite, kPostgres };

// Bytes stored as such (SQLite BLOB, PostgreSQL BYTEA); a std::string in SqlValue is text.
struct SqlBlob {
  std::string bytes;
  friend bool operator==(const SqlBlob&, const SqlBlob&) = default;
};

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, SqlBlob>;
using SqlRow = std::vector<SqlValue>;

// A row's first three integers and its number, for ordering rows by a key like
// (ts, key_hi, key_lo); ties keep their order.
struct RowKey {
  std::int64_t first, second, third;
  std::uint32_t row;
  auto operator<=>(const RowKey&) const = default;
};

// The rows' numbers in the order of their keys (sorts `keys`); empty when they are in that
// order already.
std::vector<std::uint32_t> OrderOfRows(std::vector<RowKey>& keys);

// Rows to append, column-major in spirit but stored row after row: each cell an integer, a
// real, a text (kept in one arena, so a batch of a million rows makes a handful of
// allocations) or NULL.
class RowBatch {
 public:
  explicit RowBatch(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  RowBatch(RowBatch&& other) noexcept { *this = std::move(other); }
  RowBatch& operator=(RowBatch&& other) noexcept {
    columns_ = std::move(other.columns_);
    cells_ = std::move(other.cells_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    arena_ = std::move(other.arena_);
    return *this;
  }

  void Int(std::int64_t value) { Push({value, 0, Kind::kInt}); }
  void Real(double value);
  void Text(std::string_view value);
  void Null() { Push({0, 0, Kind::kNull}); }
  void OptionalText(std::string_view value) { value.empty() ? Null() : Text(value); }
  // Room for `rows` rows and `text_bytes` of text, so a batch grows without reallocating.
  void Reserve(std::size_t rows, std::size_t text_bytes) {
    if (rows * columns_.size() > capacity_) Grow(rows * columns_.size());
    arena_.reserve(text_bytes);
  }
  // Replaces a cell with an integer (ids resolved after the row was added).
  void SetInt(std::size_t row, std::size_t column, std::int64_t value) {
    cells_[row * columns_.size() + column] = {value, 0, Kind::kInt};
  }
  // Appends row `row` of `from`, which has the same columns.
  void CopyRow(const RowBatch& from, std::size_t row);
  // The order that sorts the rows by their first three cells, integers compared as signed (a
  // table keyed by (ts, key_hi, key_lo) takes rows fastest in its key's order); ties keep their
  // order. Empty when the rows are in that order already.
  std::vector<std::uint32_t> OrderByLeadingInts() const;

  const std::vector<std::string>& columns() const { return columns_; }
  std::size_t rows() const { return columns_.empty() ? 0 : size_ / columns_.size(); }
  std::size_t TextBytes() const { return arena_.size(); }
  bool empty() const { return size_ == 0; }
  void clear() {
    size_ = 0;
    arena_.clear();
  }

  enum class Kind : std::uint8_t { kNull, kInt, kReal, kText };
  // 16 bytes: a batch of 50,000 rows of 18 columns is 14 MB of cells, written once per row.
  struct Cell {
    std::int64_t number;   // kInt: the value; kReal: its bits; kText: arena offset
    std::uint32_t length;  // kText
    Kind kind;
  };
  const Cell& cell(std::size_t row, std::size_t column) const {
    return cells_[row * columns_.size() + column];
  }
  double RealOf(const Cell& cell) const;
  std::string_view TextOf(const Cell& cell) const {
    return std::string_view(arena_).substr(static_cast<std::size_t>(cell.number), cell.length);
  }

 private:
  // A parser stores 18 cells a line: std::vector's push_back was left out of line there, a
  // call per cell (a tenth of the reader thread). The check stays inline, the growth does not.
  [[gnu::always_inline]] void Push(const Cell& cell) {
    if (size_ == capacity_) [[unlikely]]
      Grow(size_ + 1);
    cells_[size_++] = cell;
  }
  void Grow(std::size_t at_least);

  std::vector<std::string> columns_;
  std::unique_ptr<Cell[]> cells_;  // size_ of capacity_ in use
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::string arena_;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // The database, for messages: a path, or the URL without its password.
  virtual const std::string& name() const = 0;

  // Statements without results; SQLite takes several separated by `;`.
  virtual void Execute(std::string_view sql) = 0;
  // One statement with `?` placeholders bound in order.
  virtual std::vector<SqlRow> Query(std::string_view sql,
                                    std::span<const SqlValue> params = {}) = 0;

  // A write transaction (SQLite takes the write lock at once, so two loaders never deadlock).
  virtual void Begin() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;

  // Appends the batch to `table`: the rows `order` numbers, in that order (all of them or some;
  // empty: every row, as they are). A row that breaks a unique key fails the whole call with
  // DuplicateKeyError (and, inside a transaction, the transaction must be rolled back).
  virtual void AppendRows(std::string_view table, const RowBatch& rows,
                          std::span<const std::uint32_t> order) = 0;
  void AppendRows(std::string_view table, const RowBatch& rows) { AppendRows(table, rows, {}); }
};

// `trend.db` or `sqlite:///abs/path.db` (a path: SQLite, created if missing), or
// `postgresql://user:password@host:port/database` (also `postgres://`).
std::unique_ptr<SqlConnection> Connect(const std::string& url);

bool IsDatabaseUrl(std::string_view text);  // sqlite:// or postgres(ql)://

// Rolls back unless committed: a failure half-way leaves the database as it was.
class Transaction {
 public:
  explicit Transaction(SqlConnection& connection) : connection_(connection) { connection_.Begin(); }
  ~Transaction() {
    if (!done_) {
      try {
        connection_.Rollback();
      } catch (...) {  // the connection is gone: the server rolls back for us
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit() {
    connection_.Commit();
    done_ = true;
  }

 private:
  SqlConnection& connection_;
  bool done_ = false;
};

// Small helpers for reading query results.
std::int64_t AsInt(const SqlValue& value);
double AsReal(const SqlValue& value);
std::string AsText(const SqlValue& value);
// A blob's bytes, or a text's (an older row may hold as text what is now a blob).
std::string_view AsBytes(const SqlValue& value);
bool IsNull(const SqlValue& value);

// Now, as the text our tables store times in: 2026-12-01T06:16:00Z.
std::string UtcTimestamp();

}  // namespace trend::storage
