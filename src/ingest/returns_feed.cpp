#include "ingest/returns_feed.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>

#include "data/csv_reader.hpp"

namespace trend::ingest {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return !quoted;
}

std::optional<FeedColumns> ReadFeedHeader(std::string_view line, std::string& reason) {
  std::vector<std::string> fields;
  if (!SplitCsvLine(line, fields) || fields.size() < 3) return std::nullopt;
  if (ParseDate(Trim(fields[0])).has_value()) return std::nullopt;  // data
  FeedColumns columns{-1, -1, -1, -1, fields.size()};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string name = Lower(Trim(fields[i]));
    const int index = static_cast<int>(i);
    if (name == "date")
      columns.date = index;
    else if (name == "fund" || name == "series" || name == "manager")
      columns.fund = index;
    else if (name == "return" || name == "value" || name == "ret")
      columns.value = index;
    else if (name == "source")
      columns.source = index;
    else {
      reason = fmt::format("header: unknown column '{}' (expected date, fund, return, source)",
                           Trim(fields[i]));
      columns.count = 0;
      return columns;
    }
  }
  if (columns.date < 0 || columns.fund < 0 || columns.value < 0) {
    reason = "header: needs date, fund and return columns";
    columns.count = 0;
  }
  return columns;
}

std::optional<ReturnRecord> ParseReturnLine(std::string_view line, const FeedColumns& columns,
                                            std::string& reason) {
  std::vector<std::string> fields;
  if (!SplitCsvLine(line, fields)) {
    reason = "unterminated quoted field";
    return std::nullopt;
  }
  const bool with_source = columns.source >= 0;
  if (fields.size() != columns.count &&
      !(columns.count == 3 && fields.size() == 4 && !with_source)) {
    reason = fmt::format("expected {} fields, found {}", columns.count, fields.size());
    return std::nullopt;
  }
  ReturnRecord record;
  const std::string_view date_text = Trim(fields[static_cast<std::size_t>(columns.date)]);
  const auto date = ParseDate(date_text);
  if (!date) {
    reason = fmt::format("date: cannot read '{}'", date_text);
    return std::nullopt;
  }
  record.date = MonthEnd(*date);
  record.fund = Trim(fields[static_cast<std::size_t>(columns.fund)]);
  if (record.fund.empty()) {
    reason = "fund: empty";
    return std::nullopt;
  }
  const std::string_view cell = Trim(fields[static_cast<std::size_t>(columns.value)]);
  double value = 0;
  bool percent = false;
  if (!ParseReturnCell(cell, value, percent)) {
    reason = fmt::format("return: '{}' is not a number", cell);
    return std::nullopt;
  }
  if (value == value) record.value = percent ? value / 100.0 : value;  // NaN: missing
  const int source_index = with_source ? columns.source : (fields.size() == 4 ? 3 : -1);
  if (source_index >= 0) record.source = Trim(fields[static_cast<std::size_t>(source_index)]);
  return record;
}

}  // namespace trend::ingest
