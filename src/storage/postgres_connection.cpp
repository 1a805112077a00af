// PostgreSQL through libpq: portable `?` placeholders become $1, $2, ...; appends are one COPY
// in text format per batch, the fastest way rows get into PostgreSQL short of binary COPY.
#include "storage/postgres_connection.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>
#include <cstdio>
#include <memory>

namespace trend::storage {
namespace {

// Type OIDs from PostgreSQL's pg_type.h, for turning text results into numbers.
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
              kFloat8Oid = 701, kNumericOid = 1700;

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
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        texts[i] = fmt::format("{}", *d);  // shortest form that reads back to the same double
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        texts[i] = *s;
      } else {
        continue;  // NULL
      }
      values[i] = texts[i].c_str();
    }
    const std::string text = Numbered(sql);
    Result result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
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
    if (rows.empty()) return;
    const std::string sql =
        fmt::format("COPY {}({}) FROM STDIN", table, fmt::join(rows.columns(), ","));
    Result start(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) Check(start, sql);
    std::string buffer;
    buffer.reserve(1 << 20);
    const std::size_t columns = rows.columns().size();
    for (std::size_t i = 0; i < rows.rows(); ++i) {
      const std::size_t r = order.empty() ? i : order[i];
      for (std::size_t c = 0; c < columns; ++c) {
        if (c > 0) buffer += '\t';
        const RowBatch::Cell& cell = rows.cell(r, c);
        switch (cell.kind) {
          case RowBatch::Kind::kNull:
            buffer += "\\N";
            break;
          case RowBatch::Kind::kInt:
            fmt::format_to(std::back_inserter(buffer), "{}", cell.number);
            break;
          case RowBatch::Kind::kReal:
            fmt::format_to(std::back_inserter(buffer), "{}", rows.RealOf(cell));
            break;
          case RowBatch::Kind::kText:
            AppendCopyText(buffer, rows.TextOf(cell));
            break;
        }
      }
      buffer += '\n';
      if (buffer.size() >= (1 << 20)) Send(buffer);
    }
    Send(buffer);
    if (PQputCopyEnd(conn_, nullptr) != 1) {
      throw StorageError(
          fmt::format("{}: COPY into {} failed: {}", name_, table, Trimmed(PQerrorMessage(conn_))));
    }
    Check(Result(PQgetResult(conn_)), sql);
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }

 private:
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
    if (state != nullptr && std::string_view(state) == "23505") throw DuplicateKeyError(message);
    throw StorageError(message);
  }

  std::string name_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConnection> ConnectPostgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace trend::storage
