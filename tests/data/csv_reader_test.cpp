// Reading returns files: numeric strings as the reference normalises them, and one exact,
// located message per kind of bad input.
#include "data/csv_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "error/input_error.hpp"

namespace trend {
namespace {

std::string ErrorOf(const std::string& csv) {
  try {
    ParseReturnsCsv(csv, "returns.csv");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CsvReader, ReadsWideReturns) {
  const ReturnsFrame f = ParseReturnsCsv("Date,A,B\n2020-01-31,0.01,-0.02\n2020-02-29,,0.03\n", "r.csv");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(f.rows(), 2u);
  EXPECT_EQ(f.values(0, 1), -0.02);
  EXPECT_TRUE(std::isnan(f.values(1, 0)));
}

TEST(CsvReader, MissingSpellingsAndNumericStrings) {
  const ReturnsFrame f = ParseReturnsCsv(
      "date,A,B,C\n2020-01-31,NA,\"1,234.5\",(0.5)\n2020-02-29,0.01,2,0.25\n2020-03-31,n/a,3,1\n", "r.csv");
  EXPECT_TRUE(std::isnan(f.values(0, 0)));
  EXPECT_EQ(f.values(0, 1), 1234.5);
  EXPECT_EQ(f.values(0, 2), -0.5);
}

TEST(CsvReader, PercentScalesTheWholeColumn) {
  const ReturnsFrame f = ParseReturnsCsv("Date,A\n2020-01-31,1.5%\n2020-02-29,-2\n", "r.csv");
  EXPECT_DOUBLE_EQ(f.values(0, 0), 0.015);
  EXPECT_DOUBLE_EQ(f.values(1, 0), -0.02);
}

TEST(CsvReaderErrors, EmptyFile) { EXPECT_EQ(ErrorOf(""), "returns.csv: the file is empty"); }

TEST(CsvReaderErrors, HeaderOnly) { EXPECT_EQ(ErrorOf("Date,A\n"), "returns.csv: no data rows"); }

TEST(CsvReaderErrors, MissingDateColumn) {
  EXPECT_EQ(ErrorOf("When,A\n2020-01-31,0.1\n"), "returns.csv line 1: no date column 'Date' in the header");
}

TEST(CsvReaderErrors, RaggedRow) {
  EXPECT_EQ(ErrorOf("Date,A,B\n2020-01-31,0.1,0.2\n2020-02-29,0.1\n"),
            "returns.csv line 3: expected 3 fields, found 2");
}

TEST(CsvReaderErrors, NonNumericCell) {
  EXPECT_EQ(ErrorOf("Date,A\n2020-01-31,0.1\n2020-02-29,abc\n"),
            "returns.csv line 3, column 'A': 'abc' is not a number");
}

TEST(CsvReaderErrors, DuplicateDate) {
  EXPECT_EQ(ErrorOf("Date,A\n2020-01-31,0.1\n2020-01-31,0.2\n"),
            "returns.csv line 3: duplicate date 2020-01-31 (also on line 2)");
}

TEST(CsvReaderErrors, UnsortedDates) {
  EXPECT_EQ(ErrorOf("Date,A\n2020-02-29,0.1\n2020-01-31,0.2\n"),
            "returns.csv line 3: date 2020-01-31 comes after 2020-02-29 on line 2; rows must be in "
            "ascending date order");
}

TEST(CsvReaderErrors, BadDate) {
  EXPECT_EQ(ErrorOf("Date,A\n2020-13-01,0.1\n"),
            "returns.csv line 2: cannot parse date '2020-13-01' (expected YYYY-MM-DD)");
}

TEST(CsvReaderErrors, DuplicateColumn) {
  EXPECT_EQ(ErrorOf("Date,A,A\n2020-01-31,0.1,0.2\n"), "returns.csv line 1: duplicate column name 'A'");
}

TEST(CsvReaderErrors, EmptyColumn) {
  EXPECT_EQ(ErrorOf("Date,A,B\n2020-01-31,0.1,\n2020-02-29,0.2,\n"),
            "returns.csv: column 'B' has no numeric values");
}

}  // namespace
}  // namespace trend
