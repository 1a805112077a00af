// AppendRows into a real PostgreSQL: binary COPY where every cell is its column's type, text
// COPY where one is not, rows in the order given, texts with COPY's special characters. Run by
// tests/storage/postgres_append_test.sh, which starts the server and sets
// TREND_TEST_POSTGRES_URL; skipped without it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "storage/sql_connection.hpp"

namespace trend::storage {
namespace {

std::unique_ptr<SqlConnection> Postgres() {
  const char* url = std::getenv("TREND_TEST_POSTGRES_URL");
  return url != nullptr ? Connect(url) : nullptr;
}

TEST(PostgresAppend, CellsOfTheirColumnsTypesGoInBinaryInTheOrderGiven) {
  auto pg = Postgres();
  if (!pg) GTEST_SKIP() << "TREND_TEST_POSTGRES_URL is not set";
  pg->Execute("DROP TABLE IF EXISTS append_binary");
  pg->Execute("CREATE TABLE append_binary (n BIGINT, x DOUBLE PRECISION, t TEXT, seq BIGINT)");
  RowBatch rows({"n", "x", "t", "seq"});
  const std::string texts[] = {"tab\there", "new\nline \\ back", "naïve €", ""};
  for (int i = 0; i < 4; ++i) {
    rows.Int(i == 2 ? INT64_MIN : -5 + i);
    if (i == 1) {
      rows.Int(3);  // an integer into a DOUBLE PRECISION column
    } else if (i == 3) {
      rows.Null();
    } else {
      rows.Real(0.1 * i + 1e-300);
    }
    rows.Text(texts[i]);
    rows.Int(i);
  }
  const std::uint32_t order[] = {3, 1, 0, 2};
  pg->AppendRows("append_binary", rows, order);
  const auto back = pg->Query("SELECT n, x, t, seq FROM append_binary");  // in insertion order
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(AsInt(back[0][3]), 3);
  EXPECT_EQ(AsInt(back[1][3]), 1);
  EXPECT_EQ(AsInt(back[2][3]), 0);
  EXPECT_EQ(AsInt(back[3][3]), 2);
  EXPECT_EQ(AsInt(back[3][0]), INT64_MIN);
  EXPECT_EQ(AsReal(back[1][1]), 3.0);
  EXPECT_EQ(AsReal(back[2][1]), 1e-300);  // every bit of the double
  EXPECT_TRUE(IsNull(back[0][1]));
  EXPECT_EQ(AsText(back[0][2]), "");
  EXPECT_EQ(AsText(back[1][2]), texts[1]);
  EXPECT_EQ(AsText(back[2][2]), texts[0]);
  EXPECT_EQ(AsText(back[3][2]), texts[2]);
}

// INTEGER and SMALLINT columns take integers in binary at their own widths, every value they
// hold; one that does not fit goes as text, and the server's refusal names the type.
TEST(PostgresAppend, NarrowIntegerColumnsTakeTheirWidthsAndRefuseWhatDoesNotFit) {
  auto pg = Postgres();
  if (!pg) GTEST_SKIP() << "TREND_TEST_POSTGRES_URL is not set";
  pg->Execute("DROP TABLE IF EXISTS append_narrow");
  pg->Execute("CREATE TABLE append_narrow (i INTEGER, s SMALLINT, n BIGINT, seq INTEGER)");
  RowBatch rows({"i", "s", "n", "seq"});
  const std::int64_t ints[] = {INT32_MIN, -1, 0, INT32_MAX};
  const std::int64_t smalls[] = {INT16_MIN, -2, 404, INT16_MAX};
  for (int i = 0; i < 4; ++i) {
    rows.Int(ints[i]);
    rows.Int(smalls[i]);
    if (i == 2) {
      rows.Null();
    } else {
      rows.Int(INT64_MAX - i);
    }
    rows.Int(i);
  }
  pg->AppendRows("append_narrow", rows);
  const auto back = pg->Query("SELECT i, s, n FROM append_narrow ORDER BY seq");
  ASSERT_EQ(back.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(AsInt(back[i][0]), ints[i]) << i;
    EXPECT_EQ(AsInt(back[i][1]), smalls[i]) << i;
  }
  EXPECT_EQ(AsInt(back[3][2]), INT64_MAX - 3);
  EXPECT_TRUE(IsNull(back[2][2]));

  RowBatch too_big({"i", "s", "n", "seq"});
  too_big.Int(1);
  too_big.Int(INT16_MAX + 1);
  too_big.Int(1);
  too_big.Int(9);
  try {
    pg->AppendRows("append_narrow", too_big);
    ADD_FAILURE() << "32768 went into a SMALLINT";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("smallint"), std::string::npos) << error.what();
  }
}

TEST(PostgresAppend, OtherColumnTypesAndMismatchedCellsGoAsText) {
  auto pg = Postgres();
  if (!pg) GTEST_SKIP() << "TREND_TEST_POSTGRES_URL is not set";
  pg->Execute("DROP TABLE IF EXISTS append_text");
  pg->Execute("CREATE TABLE append_text (small NUMERIC, n BIGINT, t TEXT)");
  RowBatch rows({"small", "n", "t"});
  rows.Int(7);
  rows.Text("42");  // a text into a BIGINT column: the server reads it
  rows.Text("a\tb");
  pg->AppendRows("append_text", rows);
  const auto back = pg->Query("SELECT small, n, t FROM append_text");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(AsInt(back[0][0]), 7);
  EXPECT_EQ(AsInt(back[0][1]), 42);
  EXPECT_EQ(AsText(back[0][2]), "a\tb");
}

// Blobs as query parameters and results (the Bloom filter's snapshot): every byte value, NUL
// included, through BYTEA and back; a text stays text.
TEST(PostgresAppend, BlobsGoInAndComeBackAsBytes) {
  auto pg = Postgres();
  if (!pg) GTEST_SKIP() << "TREND_TEST_POSTGRES_URL is not set";
  pg->Execute("DROP TABLE IF EXISTS blobs_kept");
  pg->Execute("CREATE TABLE blobs_kept (b BYTEA, t TEXT)");
  std::string bytes;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  }
  const SqlValue row[] = {SqlBlob{bytes}, std::string("\\x00")};
  pg->Query("INSERT INTO blobs_kept (b, t) VALUES (?, ?)", row);
  const auto back = pg->Query("SELECT b, t, length(b) FROM blobs_kept");
  ASSERT_EQ(back.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<SqlBlob>(back[0][0]));
  EXPECT_EQ(AsBytes(back[0][0]), bytes);
  EXPECT_EQ(AsText(back[0][1]), "\\x00");
  EXPECT_EQ(AsInt(back[0][2]), 512);
}

}  // namespace
}  // namespace trend::storage
