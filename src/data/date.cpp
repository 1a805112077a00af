#include "data/date.hpp"

#include <charconv>
#include <cstdio>

namespace trend {

// Howard Hinnant's days-from-civil algorithm.
Date DateFromCivil(int year, int month, int day) {
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int mp = (month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return Date{era * 146097 + doe - 719468};
}

CivilDate CivilFromDate(Date date) {
  const int z = date.days + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int day = doy - (153 * mp + 2) / 5 + 1;
  const int month = mp < 10 ? mp + 3 : mp - 9;
  const int year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{year, month, day};
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool IsValidCivil(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

int MonthIndex(Date date) {
  const CivilDate c = CivilFromDate(date);
  return c.year * 12 + (c.month - 1);
}

Date MonthEndFromIndex(int month_index) {
  const int year = month_index / 12;
  const int month = month_index % 12 + 1;
  return DateFromCivil(year, month, DaysInMonth(year, month));
}

Date MonthStartFromIndex(int month_index) {
  return DateFromCivil(month_index / 12, month_index % 12 + 1, 1);
}

int Weekday(Date date) {
  // 1970-01-01 was a Thursday (3).
  const int w = (date.days + 3) % 7;
  return w < 0 ? w + 7 : w;
}

namespace {

bool ParseInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string_view TrimTime(std::string_view text) {
  const auto cut = text.find_first_of(" T");
  return cut == std::string_view::npos ? text : text.substr(0, cut);
}

}  // namespace

std::optional<Date> ParseDate(std::string_view text) {
  text = TrimTime(text);
  int y = 0, m = 0, d = 0;
  bool ok = false;
  if (text.size() == 10 && (text[4] == '-' || text[4] == '/') && text[7] == text[4]) {
    ok = ParseInt(text.substr(0, 4), y) && ParseInt(text.substr(5, 2), m) &&
         ParseInt(text.substr(8, 2), d);
  } else if (text.size() == 8 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    ok = ParseInt(text.substr(0, 4), y) && ParseInt(text.substr(4, 2), m) &&
         ParseInt(text.substr(6, 2), d);
  } else {
    const auto s1 = text.find('/');
    const auto s2 = s1 == std::string_view::npos ? s1 : text.find('/', s1 + 1);
    if (s2 != std::string_view::npos) {
      ok = ParseInt(text.substr(0, s1), m) && ParseInt(text.substr(s1 + 1, s2 - s1 - 1), d) &&
           ParseInt(text.substr(s2 + 1), y) && text.size() - s2 - 1 == 4;
    }
  }
  if (!ok || !IsValidCivil(y, m, d)) return std::nullopt;
  return DateFromCivil(y, m, d);
}

std::optional<int> ParseMonthLabel(std::string_view text) {
  int y = 0, m = 0;
  if (text.size() == 7 && text[4] == '-' && ParseInt(text.substr(0, 4), y) &&
      ParseInt(text.substr(5, 2), m) && m >= 1 && m <= 12) {
    return y * 12 + (m - 1);
  }
  return std::nullopt;
}

std::string FormatDate(Date date) {
  const CivilDate c = CivilFromDate(date);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

std::string FormatMonth(int month_index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", month_index / 12, month_index % 12 + 1);
  return buf;
}

}  // namespace trend
