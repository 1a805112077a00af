// PostgreSQL through libpq: portable `?` placeholders become $1, $2, ...; appends are one COPY
// per batch, in binary format where every cell is its column's type (the server then parses
// no text: integers and doubles as they are), in text format otherwise.
#include "storage/postgres_connection.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <type_traits>

namespace trend::storage {
namespace {

// Type OIDs from PostgreSQL's pg_type.h, for turning text results into numbers.
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kTextOid = 25, kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

// The URL without its password, for messages.
std::string Redacted(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;  // no password
  return url.substr(0, colon) + ":***" + url.substr(at);
}

std::string FirstWords(std::string_view sql) {
  std::string out(sql.substr(0, std::min<std::size_t>(sql.size(), 60)));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out + (sql.size() > 60 ? "..." : "");
}

// `?` placeholders to `$n` (our SQL has no `?` inside string literals).
std::string Numbered(std::string_view sql) {
  std::string out;
  int n = 0;
  for (const char c : sql) {
    if (c == '?') {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

void AppendCopyText(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(const std::string& url) : name_(Redacted(url)) {
    conn_ = PQconnectdb(url.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      const std::string reason = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw StorageError(
          fmt::format("{}: cannot connect to PostgreSQL: {}", name_, Trimmed(reason)));
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "already exists" notices
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return name_; }

  void Execute(std::string_view sql) override {
    const std::string text(sql);
    Check(Result(PQexec(conn_, text.c_str())), sql);
  }

  std::vector<SqlRow> Query(std::string_view sql, std::span<const SqlValue> params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);  // text, but blobs in binary
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        texts[i] = fmt::format("{}", *d);  // shortest form that reads back to the same double
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
        continue;
      } else if (const auto* b = std::get_if<SqlBlob>(&params[i])) {
        values[i] = b->bytes.data();
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;
        continue;
      } else {
        continue;  // NULL
      }
      values[i] = texts[i].c_str();
    }
    const std::string text = Numbered(sql);
    Result result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                               values.data(), lengths.data(), formats.data(), 0));
    Check(result, sql);
    std::vector<SqlRow> rows;
    const int columns = PQnfields(result.get());
    for (int r = 0; r < PQntuples(result.get()); ++r) {
      SqlRow row;
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* value = PQgetvalue(result.get(), r, c);
        switch (PQftype(result.get(), c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid:
            row.emplace_back(std::int64_t{std::stoll(value)});
            break;
          case kBoolOid:
            row.emplace_back(std::int64_t{value[0] == 't' ? 1 : 0});
            break;
          case kFloat4Oid:
          case kFloat8Oid:
          case kNumericOid:
            row.emplace_back(std::strtod(value, nullptr));
            break;
          case kByteaOid: {
            std::size_t length = 0;
            unsigned char* bytes =
                PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
            if (bytes == nullptr) throw StorageError(fmt::format("{}: out of memory", name_));
            row.emplace_back(SqlBlob{std::string(reinterpret_cast<const char*>(bytes), length)});
            PQfreemem(bytes);
            break;
          }
          default:
            row.emplace_back(
                std::string(value, static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void Begin() override { Execute("BEGIN"); }
  void Commit() override { Execute("COMMIT"); }
  void Rollback() override { Execute("ROLLBACK"); }

  void AppendRows(std::string_view table, const RowBatch& rows,
                  std::span<const std::uint32_t> order) override {
    const std::size_t count = order.empty() ? rows.rows() : order.size();
    if (count == 0) return;
    const std::vector<Oid>& types = ColumnTypes(table, rows.columns());
    const bool binary = FitsBinaryCopy(types, rows);
    const std::string sql = fmt::format("COPY {}({}) FROM STDIN{}", table,
                                        fmt::join(rows.columns(), ","), binary ? " BINARY" : "");
    Result start(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) Check(start, sql);
    std::string buffer;
    buffer.reserve(1 << 20);
    if (binary) buffer.append(kBinaryCopyHeader, sizeof kBinaryCopyHeader);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t r = order.empty() ? i : order[i];
      if (binary) {
        AppendBinaryRow(buffer, types, rows, r);
      } else {
        AppendTextRow(buffer, rows, r);
      }
      if (buffer.size() >= (1 << 20)) Send(buffer);
    }
    if (binary) buffer.append("\xff\xff", 2);  // a field count of -1: the end of the tuples
    Send(buffer);
    if (PQputCopyEnd(conn_, nullptr) != 1) {
      throw StorageError(
          fmt::format("{}: COPY into {} failed: {}", name_, table, Trimmed(PQerrorMessage(conn_))));
    }
    Check(Result(PQgetResult(conn_)), sql);
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }

 private:
  // COPY's binary format: the signature, no flags, no header extension.
  static constexpr char kBinaryCopyHeader[19] = {
      'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\xff', '\r', '\n', '\0', 0, 0, 0, 0, 0, 0, 0, 0};

  // The type of each of `columns` of `table`, looked up once.
  const std::vector<Oid>& ColumnTypes(std::string_view table,
                                      const std::vector<std::string>& columns) {
    const std::string key = fmt::format("{}({})", table, fmt::join(columns, ","));
    auto it = column_types_.find(key);
    if (it != column_types_.end()) return it->second;
    std::vector<Oid> types;
    for (const std::string& column : columns) {
      const SqlValue params[] = {std::string(table), column};
      const auto found = Query(
          "SELECT atttypid::bigint FROM pg_attribute WHERE attrelid = ?::regclass AND attname = ? "
          "AND attnum > 0 AND NOT attisdropped",
          params);
      types.push_back(found.empty() ? Oid{0} : static_cast<Oid>(AsInt(found[0][0])));
    }
    return column_types_.emplace(key, std::move(types)).first->second;
  }

  // Whether every cell goes in binary as its column's type: integers into BIGINT, INTEGER or
  // SMALLINT (when they fit), numbers into DOUBLE PRECISION, texts into TEXT. Anything else goes
  // as text, which the server converts, or refuses naming the column and value.
  static bool FitsBinaryCopy(const std::vector<Oid>& types, const RowBatch& rows) {
    for (const Oid type : types) {
      if (type != kInt8Oid && type != kInt4Oid && type != kInt2Oid && type != kFloat8Oid &&
          type != kTextOid)
        return false;
    }
    const std::size_t columns = types.size();
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      for (std::size_t c = 0; c < columns; ++c) {
        const RowBatch::Cell& cell = rows.cell(r, c);
        const bool fits =
            cell.kind == RowBatch::Kind::kNull ||
            (cell.kind == RowBatch::Kind::kInt && FitsInteger(types[c], cell.number)) ||
            (cell.kind == RowBatch::Kind::kReal && types[c] == kFloat8Oid) ||
            (cell.kind == RowBatch::Kind::kText && types[c] == kTextOid);
        if (!fits) return false;
      }
    }
    return true;
  }

  static bool FitsInteger(Oid type, std::int64_t value) {
    switch (type) {
      case kInt8Oid:
      case kFloat8Oid:
        return true;
      case kInt4Oid:
        return value >= INT32_MIN && value <= INT32_MAX;
      case kInt2Oid:
        return value >= INT16_MIN && value <= INT16_MAX;
      default:
        return false;
    }
  }

  // The bytes a binary COPY field of `type` takes for an integer cell.
  static std::uint32_t IntegerWidth(Oid type) {
    return type == kInt4Oid ? 4 : type == kInt2Oid ? 2 : 8;
  }

  // One tuple: the field count, then each field's length (-1: NULL) and bytes, big-endian.
  static void AppendBinaryRow(std::string& out, const std::vector<Oid>& types, const RowBatch& rows,
                              std::size_t r) {
    // Sized first, then written through a pointer: appended byte by byte, the encoding was
    // a microsecond a row, half the writer thread.
    std::size_t size = 2;
    for (std::size_t c = 0; c < types.size(); ++c) {
      const RowBatch::Cell& cell = rows.cell(r, c);
      size += 4 + (cell.kind == RowBatch::Kind::kNull   ? 0
                   : cell.kind == RowBatch::Kind::kText ? cell.length
                   : cell.kind == RowBatch::Kind::kInt  ? IntegerWidth(types[c])
                                                        : 8);
    }
    const std::size_t start = out.size();
    out.resize(start + size);
    char* at = out.data() + start;
    at = PutBigEndian(at, static_cast<std::uint16_t>(types.size()));
    for (std::size_t c = 0; c < types.size(); ++c) {
      const RowBatch::Cell& cell = rows.cell(r, c);
      switch (cell.kind) {
        case RowBatch::Kind::kNull:
          at = PutBigEndian(at, ~std::uint32_t{0});  // -1: NULL
          break;
        case RowBatch::Kind::kInt:
          at = PutBigEndian(at, IntegerWidth(types[c]));
          if (types[c] == kInt4Oid) {
            at = PutBigEndian(at, static_cast<std::uint32_t>(cell.number));
          } else if (types[c] == kInt2Oid) {
            at = PutBigEndian(at, static_cast<std::uint16_t>(cell.number));
          } else {
            at = PutBigEndian(at, types[c] == kFloat8Oid ? std::bit_cast<std::uint64_t>(
                                                               static_cast<double>(cell.number))
                                                         : static_cast<std::uint64_t>(cell.number));
          }
          break;
        case RowBatch::Kind::kReal:
          at = PutBigEndian(at, std::uint32_t{8});
          at = PutBigEndian(at, std::bit_cast<std::uint64_t>(rows.RealOf(cell)));
          break;
        case RowBatch::Kind::kText: {
          const std::string_view text = rows.TextOf(cell);
          at = PutBigEndian(at, static_cast<std::uint32_t>(text.size()));
          std::memcpy(at, text.data(), text.size());
          at += text.size();
          break;
        }
      }
    }
  }

  // Stores `value` at `at` in network order; returns the byte after it.
  template <typename Unsigned>
  static char* PutBigEndian(char* at, Unsigned value) {
    static_assert(std::is_unsigned_v<Unsigned>);
    if constexpr (std::endian::native == std::endian::little) {
      if constexpr (sizeof value == 2) value = __builtin_bswap16(value);
      if constexpr (sizeof value == 4) value = __builtin_bswap32(value);
      if constexpr (sizeof value == 8) value = __builtin_bswap64(value);
    }
    std::memcpy(at, &value, sizeof value);
    return at + sizeof value;
  }

  static void AppendTextRow(std::string& out, const RowBatch& rows, std::size_t r) {
    for (std::size_t c = 0; c < rows.columns().size(); ++c) {
      if (c > 0) out += '\t';
      const RowBatch::Cell& cell = rows.cell(r, c);
      switch (cell.kind) {
        case RowBatch::Kind::kNull:
          out += "\\N";
          break;
        case RowBatch::Kind::kInt:
          fmt::format_to(std::back_inserter(out), "{}", cell.number);
          break;
        case RowBatch::Kind::kReal:
          fmt::format_to(std::back_inserter(out), "{}", rows.RealOf(cell));
          break;
        case RowBatch::Kind::kText:
          AppendCopyText(out, rows.TextOf(cell));
          break;
      }
    }
    out += '\n';
  }

  static std::string Trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  void Send(std::string& buffer) {
    if (!buffer.empty() &&
        PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) != 1) {
      throw StorageError(fmt::format("{}: COPY failed: {}", name_, Trimmed(PQerrorMessage(conn_))));
    }
    buffer.clear();
  }

  void Check(const Result& result, std::string_view sql) const {
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    const std::string message = fmt::format(
        "{}: {} (in: {})", name_, Trimmed(PQresultErrorMessage(result.get())), FirstWords(sql));
    const std::string_view code = state != nullptr ? state : "";
    if (code == "23505") throw DuplicateKeyError(message);  // unique_violation
    // lock_not_available (lock_timeout), deadlock_detected
    if (code == "55P03" || code == "40P01") throw ConflictError(message);
    throw StorageError(message);
  }

  std::string name_;
  PGconn* conn_ = nullptr;
  std::map<std::string, std::vector<Oid>, std::less<>> column_types_;  // by table(columns)
};

}  // namespace

std::unique_ptr<SqlConnection> ConnectPostgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace trend::storage
