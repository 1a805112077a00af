// Reading returns files: numeric strings as the reference normalises them, and one exact,
// located message per kind of bad input.
#include "data/csv_reader.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <random>

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
  const ReturnsFrame f =
      ParseReturnsCsv("Date,A,B\n2020-01-31,0.01,-0.02\n2020-02-29,,0.03\n", "r.csv");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(f.rows(), 2u);
  EXPECT_EQ(f.values(0, 1), -0.02);
  EXPECT_TRUE(std::isnan(f.values(1, 0)));
}

TEST(CsvReader, MissingSpellingsAndNumericStrings) {
  const ReturnsFrame f = ParseReturnsCsv(
      "date,A,B,C\n2020-01-31,NA,\"1,234.5\",(0.5)\n2020-02-29,0.01,2,0.25\n2020-03-31,n/a,3,1\n",
      "r.csv");
  EXPECT_TRUE(std::isnan(f.values(0, 0)));
  EXPECT_EQ(f.values(0, 1), 1234.5);
  EXPECT_EQ(f.values(0, 2), -0.5);
}

TEST(CsvReader, PercentScalesTheWholeColumn) {
  const ReturnsFrame f = ParseReturnsCsv("Date,A\n2020-01-31,1.5%\n2020-02-29,-2\n", "r.csv");
  EXPECT_DOUBLE_EQ(f.values(0, 0), 0.015);
  EXPECT_DOUBLE_EQ(f.values(1, 0), -0.02);
}

TEST(CsvReaderErrors, EmptyFile) {
  EXPECT_EQ(ErrorOf(""), "returns.csv: the file is empty");
}

// A workbook where a CSV belongs is named as such, with what to do, not parsed as text.
TEST(CsvReaderErrors, SpreadsheetsAreNamedAndRefused) {
  const std::string xlsx = std::string("PK\x03\x04", 4) + "[Content_Types].xml...";
  EXPECT_EQ(ErrorOf(xlsx),
            "returns.csv: this is a spreadsheet workbook (.xlsx or another zipped format), not "
            "a CSV file: open it in Excel or LibreOffice and save the returns sheet as CSV "
            "(comma-separated), then use that file");
  const std::string xls = std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + "rest";
  EXPECT_NE(ErrorOf(xls).find("spreadsheet workbook (.xls)"), std::string::npos);
  EXPECT_EQ(ErrorOf("PK,A\n2020-01-31,0.1\n").find("spreadsheet"), std::string::npos);
}

TEST(CsvReaderErrors, HeaderOnly) {
  EXPECT_EQ(ErrorOf("Date,A\n"), "returns.csv: no data rows");
}

TEST(CsvReaderErrors, MissingDateColumn) {
  EXPECT_EQ(ErrorOf("When,A\n2020-01-31,0.1\n"),
            "returns.csv line 1: no date column 'Date' in the header");
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

// A large file is parsed in ~1 MB chunks; a run of blank lines that fills a whole chunk must
// not hide a date that steps back across it (it used to, with 3 or more chunks).
TEST(CsvReaderErrors, UnsortedDatesAcrossABlankChunk) {
  std::string csv = "Date,A\n";
  int line = 1;
  for (int year = 1000; year < 2500; ++year) {
    for (int month = 1; month <= 12; ++month, ++line) {
      csv += fmt::format("{:04d}-{:02d}-28,0.01\n", year, month);
    }
  }
  const int last_line = line;
  csv += std::string(3 << 20, '\n');  // three chunks of nothing
  csv += "1500-01-28,0.02\n";
  const int bad_line = last_line + (3 << 20) + 1;
  EXPECT_EQ(ErrorOf(csv), fmt::format("returns.csv line {}: date 1500-01-28 comes after "
                                      "2499-12-28 on line {}; rows must be in ascending date "
                                      "order",
                                      bad_line, last_line));
}

TEST(CsvReaderErrors, ColumnNameThatIsNotUtf8) {
  EXPECT_EQ(ErrorOf("Date,Caf\xe9,RF\n2020-01-31,0.1,0.001\n"),
            "returns.csv line 1: the name of column 2 is not valid UTF-8 (save the file as UTF-8)");
  EXPECT_EQ(ErrorOf("Date,Caf\xc3\xa9\n2020-01-31,0.1\n").substr(0, 8), "no error");
}

// A FIFO (or any non-file) as the returns file is refused at once, not waited on.
TEST(CsvReaderErrors, FifoIsNotARegularFile) {
  const std::string fifo =
      ::testing::TempDir() + "/trend_returns_fifo_" + std::to_string(::getpid());
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    LoadReturnsCsv(fifo);
    ADD_FAILURE() << "a FIFO was read";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), fifo + ": not a regular file");
  }
  ::unlink(fifo.c_str());
}

TEST(CsvReaderErrors, BadDate) {
  EXPECT_EQ(ErrorOf("Date,A\n2020-13-01,0.1\n"),
            "returns.csv line 2: cannot parse date '2020-13-01' (expected YYYY-MM-DD)");
}

TEST(CsvReaderErrors, DuplicateColumn) {
  EXPECT_EQ(ErrorOf("Date,A,A\n2020-01-31,0.1,0.2\n"),
            "returns.csv line 1: duplicate column name 'A'");
}

TEST(CsvReaderErrors, EmptyColumn) {
  EXPECT_EQ(ErrorOf("Date,A,B\n2020-01-31,0.1,\n2020-02-29,0.2,\n"),
            "returns.csv: column 'B' has no numeric values");
}

}  // namespace
}  // namespace trend

namespace trend {
namespace {

// The short-decimal fast path must give exactly the double std::strtod gives.
TEST(CsvReader, NumbersAreCorrectlyRounded) {
  const char* texts[] = {"0.0150024742374",
                         "-0.030529329431",
                         "0.1",
                         "-0.2",
                         "1e-3",
                         "0.30000000000000004",
                         "123456789012345",
                         "0.000000000000000000001234",
                         "+0.5",
                         "-0",
                         "2.5E+2",
                         "0.11428571428571428",
                         "7.",
                         ".5"};
  for (const char* text : texts) {
    double value = 0;
    bool percent = false;
    ASSERT_TRUE(ParseReturnCell(text, value, percent)) << text;
    EXPECT_EQ(value, std::strtod(text, nullptr)) << text;
  }
}

}  // namespace
}  // namespace trend

namespace trend {
namespace {

// A file large enough to be parsed on several threads: same frame, same exact errors.
std::string LargeCsv(int rows, int bad_row = -1, const char* bad_cell = "oops") {
  std::string csv = "Date";
  for (int j = 0; j < 40; ++j) csv += ",F" + std::to_string(j);
  csv += "\n";
  Date d = DateFromCivil(1990, 1, 1);
  for (int i = 0; i < rows; ++i) {
    csv += FormatDate(Date{d.days + i});
    for (int j = 0; j < 40; ++j) {
      csv += i == bad_row && j == 7 ? std::string(",") + bad_cell
                                    : ",0.0123456789" + std::to_string(j % 10);
    }
    csv += "\n";
  }
  return csv;
}

TEST(CsvReaderParallel, LargeFileMatchesRowByRowValues) {
  const ReturnsFrame f = ParseReturnsCsv(LargeCsv(6000), "big.csv");
  ASSERT_EQ(f.rows(), 6000u);
  EXPECT_EQ(f.values(5999, 3), 0.01234567893);
  EXPECT_EQ(FormatDate(f.dates[5999]), FormatDate(Date{DateFromCivil(1990, 1, 1).days + 5999}));
}

TEST(CsvReaderParallel, ErrorLineIsExactInAnyChunk) {
  try {
    ParseReturnsCsv(LargeCsv(6000, 5500), "big.csv");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "big.csv line 5502, column 'F7': 'oops' is not a number");
  }
}

}  // namespace
}  // namespace trend

namespace trend {
namespace {

// Cells parsed inside a record (the fused scanner, eight digits at a time) must give exactly
// the double std::strtod gives, whatever their length and position in the line.
TEST(CsvReader, RecordCellsMatchStrtodForEveryShape) {
  std::mt19937_64 rng(7);
  const auto random_number = [&] {
    std::string text = rng() % 2 ? "-" : "";
    const int int_digits = static_cast<int>(rng() % 4);
    const int frac_digits = static_cast<int>(rng() % 21);
    for (int i = 0; i < int_digits; ++i) text += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || int_digits == 0) {
      text += '.';
      for (int i = 0; i < std::max(frac_digits, 1); ++i)
        text += static_cast<char>('0' + rng() % 10);
    }
    return text;
  };
  std::string csv = "Date,A,B,C\n";
  std::vector<std::string> cells;
  Date d = DateFromCivil(2000, 1, 1);
  for (int i = 0; i < 3000; ++i) {
    csv += FormatDate(Date{d.days + i});
    for (int j = 0; j < 3; ++j) {
      cells.push_back(random_number());
      csv += "," + cells.back();
    }
    csv += i % 2 ? "\r\n" : "\n";
  }
  const ReturnsFrame f = ParseReturnsCsv(csv, "shapes.csv");
  ASSERT_EQ(f.rows(), 3000u);
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const double expected = std::strtod(cells[k].c_str(), nullptr);
    EXPECT_EQ(f.values(static_cast<Eigen::Index>(k / 3), static_cast<Eigen::Index>(k % 3)),
              expected)
        << cells[k];
  }
}

// Blank lines inside a multi-threaded parse leave no gaps and no shifted rows.
TEST(CsvReaderParallel, BlankLinesInEveryChunkAreSkipped) {
  std::string csv = LargeCsv(6000);
  std::string with_blanks;
  int line = 0;
  for (std::size_t pos = 0; pos < csv.size();) {
    const std::size_t end = csv.find('\n', pos) + 1;
    with_blanks += csv.substr(pos, end - pos);
    if (++line % 1000 == 0) with_blanks += "\n  \n";
    pos = end;
  }
  const ReturnsFrame f = ParseReturnsCsv(with_blanks, "big.csv");
  ASSERT_EQ(f.rows(), 6000u);
  for (Eigen::Index i = 0; i < 6000; ++i) {
    ASSERT_EQ(f.dates[static_cast<std::size_t>(i)].days, DateFromCivil(1990, 1, 1).days + i);
    ASSERT_EQ(f.values(i, 3), 0.01234567893);
  }
}

}  // namespace
}  // namespace trend
