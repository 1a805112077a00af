#include "data/csv_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "data/csv_reader.hpp"

namespace trend {
namespace {

TEST(CsvWriter, ReadsBackAsTheSameDoublesBitForBit) {
  ReturnsFrame frame;
  frame.dates = {DateFromCivil(2020, 1, 31), DateFromCivil(2020, 2, 29),
                 DateFromCivil(2020, 3, 31)};
  frame.columns = {"Fund A", "Fund, \"B\"", "C"};
  frame.values.resize(3, 3);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  frame.values << 0.1 + 0.2, -1.0 / 3.0, 1.2345678901234567e-05,  //
      nan, 5e-324, -0.0,                                          //
      123456.789, 1e-12, 0.07;
  const std::string csv = FormatReturnsCsv(frame, "Date");
  const ReturnsFrame back = ParseReturnsCsv(csv, "written");
  ASSERT_EQ(back.columns, frame.columns);
  ASSERT_EQ(back.rows(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(back.dates[r].days, frame.dates[r].days);
    for (Eigen::Index c = 0; c < 3; ++c) {
      const double a = frame.values(static_cast<Eigen::Index>(r), c);
      const double b = back.values(static_cast<Eigen::Index>(r), c);
      if (std::isnan(a)) {
        EXPECT_TRUE(std::isnan(b));
      } else {
        EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "row " << r << " column " << c;
      }
    }
  }
}

TEST(CsvWriter, QuotesNamesAndLeavesMissingCellsEmpty) {
  ReturnsFrame frame;
  frame.dates = {DateFromCivil(2021, 6, 30)};
  frame.columns = {"x,y"};
  frame.values.resize(1, 1);
  frame.values(0, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(FormatReturnsCsv(frame, "When"), "When,\"x,y\"\n2021-06-30,\n");
}

}  // namespace
}  // namespace trend
