// Long fund-return feeds, CSV: date, fund, return[, source], with or without a header (a
// header names the columns, in any order: date, fund, return or value, source). Values are read
// as `trend run` reads a returns CSV (blanks and NA are missing, "1,234.5", "(0.5)", "5%" =
// 0.05); dates in any form trend run accepts, moved to their calendar month end, so an
// administrator's last-business-day date and a calendar month end name the same month.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/date.hpp"

namespace trend::ingest {

struct ReturnRecord {
  Date date;  // a calendar month end
  std::string fund;
  std::optional<double> value;  // nullopt: reported missing
  std::string source;           // empty when the feed has no source column
};

// Column positions, from a header or the default order.
struct FeedColumns {
  int date = 0, fund = 1, value = 2,
      source = -1;        // no header: an optional 4th column is the source
  std::size_t count = 3;  // fields per line: 3, or 4 with a source
};

// Splits one CSV line (RFC 4180 quoting) into fields; false if a quote is left open.
bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields);

// If `line` is a header, the columns it names; nullopt if it is data. Sets `reason` and
// returns columns with count 0 when it is a header we cannot use.
std::optional<FeedColumns> ReadFeedHeader(std::string_view line, std::string& reason);

std::optional<ReturnRecord> ParseReturnLine(std::string_view line, const FeedColumns& columns,
                                            std::string& reason);

}  // namespace trend::ingest
