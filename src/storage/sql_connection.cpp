#include "storage/sql_connection.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstring>
#include <ctime>

#include "storage/postgres_connection.hpp"
#include "storage/sqlite_connection.hpp"

namespace trend::storage {

void RowBatch::Real(double value) {
  std::int64_t bits = 0;
  std::memcpy(&bits, &value, sizeof value);
  Push({bits, 0, Kind::kReal});
}

double RowBatch::RealOf(const Cell& cell) const {
  double value = 0;
  std::memcpy(&value, &cell.number, sizeof value);
  return value;
}

void RowBatch::Text(std::string_view value) {
  Push({static_cast<std::int64_t>(arena_.size()), static_cast<std::uint32_t>(value.size()),
        Kind::kText});
  arena_.append(value);
}

void RowBatch::Grow(std::size_t at_least) {
  const std::size_t capacity = std::max({at_least, 2 * capacity_, std::size_t{64}});
  auto cells = std::make_unique_for_overwrite<Cell[]>(capacity);
  if (size_ > 0) std::memcpy(cells.get(), cells_.get(), size_ * sizeof(Cell));
  cells_ = std::move(cells);
  capacity_ = capacity;
}

void RowBatch::CopyRow(const RowBatch& from, std::size_t row) {
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Cell& cell = from.cell(row, c);
    if (cell.kind == Kind::kText) {
      Text(from.TextOf(cell));
    } else {
      Push(cell);
    }
  }
}

std::vector<std::uint32_t> RowBatch::OrderByLeadingInts() const {
  std::vector<RowKey> keys;
  keys.reserve(rows());
  for (std::size_t row = 0; row < rows(); ++row) {
    keys.push_back({cell(row, 0).number, cell(row, 1).number, cell(row, 2).number,
                    static_cast<std::uint32_t>(row)});
  }
  return OrderOfRows(keys);
}

std::vector<std::uint32_t> OrderOfRows(std::vector<RowKey>& keys) {
  if (std::is_sorted(keys.begin(), keys.end())) return {};
  std::sort(keys.begin(), keys.end());
  std::vector<std::uint32_t> order;
  order.reserve(keys.size());
  for (const RowKey& key : keys) order.push_back(key.row);
  return order;
}

bool IsDatabaseUrl(std::string_view text) {
  return text.starts_with("sqlite://") || text.starts_with("postgresql://") ||
         text.starts_with("postgres://");
}

std::unique_ptr<SqlConnection> Connect(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return ConnectPostgres(url);
  }
  std::string path = url;
  if (url.starts_with("sqlite://")) {
    path = url.substr(std::strlen("sqlite://"));  // sqlite:///abs/path keeps its leading /
    if (path.empty()) throw StorageError(fmt::format("{}: no database path after sqlite://", url));
  }
  return ConnectSqlite(path);
}

std::int64_t AsInt(const SqlValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* d = std::get_if<double>(&value)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&value)) return std::stoll(*s);
  return 0;
}

double AsReal(const SqlValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&value)) return std::stod(*s);
  return 0;
}

std::string AsText(const SqlValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* b = std::get_if<SqlBlob>(&value)) return b->bytes;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  return {};
}

std::string_view AsBytes(const SqlValue& value) {
  if (const auto* b = std::get_if<SqlBlob>(&value)) return b->bytes;
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return {};
}

bool IsNull(const SqlValue& value) {
  return std::holds_alternative<std::monostate>(value);
}

std::string UtcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace trend::storage
