// RowBatch's reordering: the order of a table keyed by (ts, key_hi, key_lo), as the loader
// hands its requests to the database.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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
