// Numbered schema migrations: each applied once, in order, in its own transaction, and recorded
// in schema_migrations; a database newer than this program is refused rather than guessed at.
#pragma once

#include <span>
#include <string_view>

#include "storage/sql_connection.hpp"

namespace trend::storage {

struct Migration {
  int version;
  std::string_view name;
  // Portable SQL with type words substituted per dialect: {id} (an auto-numbered primary
  // key), {int} (64-bit), {real}, {text}; INTEGER (32-bit) and SMALLINT are the
  // same words on both.
  std::string_view sql;
  // Optional: data moved in C++ (what SQL alone cannot compute), then more SQL; same transaction.
  void (*fill)(SqlConnection&) = nullptr;
  std::string_view sql_after = {};
};

// Applies what is missing; returns how many were applied. Safe against two processes
// migrating the same database at once.
int Migrate(SqlConnection& connection, std::span<const Migration> migrations);

// Trend Engine's database: ingest's tables, read by `trend run` (returns) and the usage report.
std::span<const Migration> TrendSchema();

}  // namespace trend::storage
