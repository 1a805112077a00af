// Calendar dates as day counts, so windows, month grouping and month-end arithmetic are integer
// operations with no time zones involved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trend {

struct Date {
  int32_t days = 0;  // days since 1970-01-01 (proleptic Gregorian)

  friend auto operator<=>(const Date&, const Date&) = default;
};

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

Date DateFromCivil(int year, int month, int day);
CivilDate CivilFromDate(Date date);
int DaysInMonth(int year, int month);
bool IsValidCivil(int year, int month, int day);

// Months since year 0, so consecutive calendar months differ by exactly 1.
int MonthIndex(Date date);
Date MonthEndFromIndex(int month_index);
Date MonthStartFromIndex(int month_index);
inline Date MonthEnd(Date date) {
  return MonthEndFromIndex(MonthIndex(date));
}

// 0 = Monday ... 6 = Sunday.
int Weekday(Date date);

// Accepts YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD and M/D/YYYY, optionally followed by a time
// ("2020-01-31 00:00:00" or "2020-01-31T00:00:00"), which is ignored.
std::optional<Date> ParseDate(std::string_view text);

// "YYYY-MM" labels as used by sample_split and multi_period.
std::optional<int> ParseMonthLabel(std::string_view text);

std::string FormatDate(Date date);         // YYYY-MM-DD
std::string FormatMonth(int month_index);  // YYYY-MM

}  // namespace trend
