#include "data/date.hpp"

#include <gtest/gtest.h>

namespace trend {
namespace {

TEST(Date, RoundTripsAndMonthEnds) {
  const Date d = DateFromCivil(2024, 2, 29);
  EXPECT_EQ(FormatDate(d), "2024-02-29");
  EXPECT_EQ(FormatDate(MonthEnd(DateFromCivil(2023, 2, 3))), "2023-02-28");
  EXPECT_EQ(Weekday(DateFromCivil(2026, 11, 22)), 6);  // a Sunday
  EXPECT_EQ(DateFromCivil(1970, 1, 1).days, 0);
}

TEST(Date, ParsesCommonLayouts) {
  EXPECT_EQ(ParseDate("2020-01-31"), DateFromCivil(2020, 1, 31));
  EXPECT_EQ(ParseDate("2020/01/31"), DateFromCivil(2020, 1, 31));
  EXPECT_EQ(ParseDate("20200131"), DateFromCivil(2020, 1, 31));
  EXPECT_EQ(ParseDate("1/31/2020"), DateFromCivil(2020, 1, 31));
  EXPECT_EQ(ParseDate("2020-01-31 00:00:00"), DateFromCivil(2020, 1, 31));
  EXPECT_FALSE(ParseDate("2020-02-30"));
  EXPECT_FALSE(ParseDate("yesterday"));
  EXPECT_EQ(ParseMonthLabel("2015-01"), 2015 * 12);
  EXPECT_FALSE(ParseMonthLabel("2015-13"));
}

}  // namespace
}  // namespace trend
