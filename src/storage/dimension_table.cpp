#include "storage/dimension_table.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>
#include <cstring>
#include <vector>

namespace trend::storage {

std::int64_t DimensionHash(std::string_view text) {
  const XXH64_hash_t hash = XXH3_64bits(text.data(), text.size());
  std::int64_t key;
  std::memcpy(&key, &hash, sizeof key);
  return key;
}

std::int64_t SourceHash(std::string_view stream, std::string_view source) {
  return DimensionHash(fmt::format("{}\x1f{}", stream, source));
}

std::int64_t DimensionRowId(SqlConnection& connection, std::string_view table, std::int64_t hash,
                            std::span<const std::string_view> columns,
                            std::span<const std::string> values) {
  std::vector<SqlValue> insert = {hash};
  insert.insert(insert.end(), values.begin(), values.end());
  std::string placeholders = "?";
  for (std::size_t c = 0; c < columns.size(); ++c) placeholders += ", ?";
  connection.Query(
      fmt::format("INSERT INTO {} (hash, {}) VALUES ({}) ON CONFLICT (hash) DO NOTHING", table,
                  fmt::join(columns, ", "), placeholders),
      insert);
  const auto rows = connection.Query(
      fmt::format("SELECT id, {} FROM {} WHERE hash = ?", fmt::join(columns, ", "), table),
      std::vector<SqlValue>{hash});
  bool same = !rows.empty();
  for (std::size_t c = 0; same && c < values.size(); ++c)
    same = AsText(rows[0][c + 1]) == values[c];
  if (!same) {
    throw StorageError(fmt::format("{}: two texts share the hash {} in {}: '{}'", connection.name(),
                                   hash, table, values.empty() ? "" : values[0].substr(0, 200)));
  }
  return AsInt(rows[0][0]);
}

}  // namespace trend::storage
