// RowBatch's reordering: the order of a table keyed by (ts, key_hi, key_lo), as the loader
// hands its requests to the database.
#include <gtest/gtest.h>

#include <string>

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
  RowBatch rows = Rows({{5, 7, 1}, {5, -3, 9}, {4, 100, 0}, {5, -3, 2}, {5, 7, 1}});
  const auto order = rows.OrderByLeadingInts();
  EXPECT_EQ(order, (std::vector<std::uint32_t>{2, 3, 1, 0, 4}));
  rows.Permute(order);
  const char* texts[] = {"row 2", "row 3", "row 1", "row 0", "row 4"};
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    EXPECT_EQ(rows.TextOf(rows.cell(r, 3)), texts[r]) << r;  // each row's text moves with it
  }
  EXPECT_EQ(rows.cell(0, 0).number, 4);
  EXPECT_EQ(rows.cell(2, 2).number, 9);
  EXPECT_TRUE(rows.OrderByLeadingInts().empty());  // now in order
}

TEST(RowBatch, RowsInOrderAlreadyNeedNoOrder) {
  EXPECT_TRUE(Rows({}).OrderByLeadingInts().empty());
  EXPECT_TRUE(Rows({{1, -5, 0}, {1, 2, 0}, {2, -9, 0}}).OrderByLeadingInts().empty());
}

}  // namespace
}  // namespace trend::storage
