// Dimension tables: texts that repeat on many rows (routes, referrers, user agents, a stream's
// files) kept once each, under a small id, and found by a unique 64-bit hash of their text, so
// that a text of any length has a short unique key on every database.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "storage/sql_connection.hpp"

namespace trend::storage {

// 64 bits of XXH3 of the text.
std::int64_t DimensionHash(std::string_view text);
// ingest_sources's key: the stream and the source (a file's absolute path, or -).
std::int64_t SourceHash(std::string_view stream, std::string_view source);

// The id of the row of `table` held under `hash`, inserting `columns` = `values` first when no
// row has it (another process may insert it at the same moment: both get the same row). A row
// under the hash with other values is two texts sharing a hash: StorageError, never a row that
// names the other text.
std::int64_t DimensionRowId(SqlConnection& connection, std::string_view table, std::int64_t hash,
                            std::span<const std::string_view> columns,
                            std::span<const std::string> values);

}  // namespace trend::storage
