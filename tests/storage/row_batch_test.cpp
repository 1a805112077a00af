// RowBatch's reordering: the order of a table keyed by (ts, key_hi, key_lo), as the loader
// hands its requests to the database.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "storage/sql_connection.hpp"

namespace trend::storage {
namespace {

RowBatch Rows(std::initializer_list<std::tuple<std::int64_t, std::int64_t, std::int64_t>> keys) {
  RowBatch rows({"ts", "key_hi", "key_lo", "text"});
  int n = 0;
  for (const auto& [ts, hi, lo] : keys) {
    rows.Int(ts);
    rows.Int(hi);
    rows.Int(lo);
    rows.Text("row " + std::to_string(n++));
  }
  return rows;
}

TEST(RowBatch, OrdersByTheLeadingIntegersAsSignedAndKeepsTiesInOrder) {
  const RowBatch rows = Rows({{5, 7, 1}, {5, -3, 9}, {4, 100, 0}, {5, -3, 2}, {5, 7, 1}});
  EXPECT_EQ(rows.OrderByLeadingInts(), (std::vector<std::uint32_t>{2, 3, 1, 0, 4}));
}

// Seconds close together or spread out, many ties: the order of a plain sort of
// (first, second, third, row).
TEST(RowBatch, CloseAndSpreadFirstValuesOrderAsOneSortWould) {
  std::uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::int64_t>(state >> 11);
  };
  for (const std::int64_t spread : {std::int64_t{3}, std::int64_t{250}, std::int64_t{1} << 40}) {
    RowBatch rows({"ts", "key_hi", "key_lo"});
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::uint32_t>> expected;
    for (std::uint32_t row = 0; row < 2000; ++row) {
      const std::int64_t ts = -100 + (next() % spread + spread) % spread;
      const std::int64_t hi = next() % 4 - 2;  // many ties, signed
      const std::int64_t lo = next() % 3;
      rows.Int(ts);
      rows.Int(hi);
      rows.Int(lo);
      expected.emplace_back(ts, hi, lo, row);
    }
    std::sort(expected.begin(), expected.end());
    const std::vector<std::uint32_t> order = rows.OrderByLeadingInts();
    ASSERT_EQ(order.size(), expected.size()) << "spread " << spread;
    for (std::size_t i = 0; i < order.size(); ++i)
      ASSERT_EQ(order[i], std::get<3>(expected[i])) << "spread " << spread << ", at " << i;
  }
}

TEST(RowBatch, SqliteAppendsTheRowsInTheOrderGiven) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("trend_row_batch_test_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto connection = Connect(path.string());
    connection->Execute("CREATE TABLE t (ts INTEGER, key_hi INTEGER, key_lo INTEGER, text TEXT)");
    const RowBatch rows = Rows({{5, 7, 1}, {5, -3, 9}, {4, 100, 0}});
    const std::uint32_t order[] = {2, 0, 1};
    connection->AppendRows("t", rows, order);
    const auto written = connection->Query("SELECT ts, key_hi, text FROM t ORDER BY rowid");
    ASSERT_EQ(written.size(), 3u);
    EXPECT_EQ(AsText(written[0][2]), "row 2");
    EXPECT_EQ(AsInt(written[0][0]), 4);
    EXPECT_EQ(AsText(written[1][2]), "row 0");  // each row's cells and text together
    EXPECT_EQ(AsInt(written[2][1]), -3);
    EXPECT_EQ(AsText(written[2][2]), "row 1");
  }
  std::filesystem::remove(path);
}

TEST(RowBatch, RowsInOrderAlreadyNeedNoOrder) {
  EXPECT_TRUE(Rows({}).OrderByLeadingInts().empty());
  EXPECT_TRUE(Rows({{1, -5, 0}, {1, 2, 0}, {2, -9, 0}}).OrderByLeadingInts().empty());
}

}  // namespace
}  // namespace trend::storage
