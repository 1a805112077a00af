#include "data/csv_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "error/input_error.hpp"

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsMissingToken(std::string_view s) {
  // pandas' default NA spellings.
  static constexpr std::array<std::string_view, 19> kTokens = {
      "",     "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
      "<NA>", "N/A",  "NA",       "NULL", "NaN",    "None",     "n/a",  "nan",  "null"};
  return std::find(kTokens.begin(), kTokens.end(), s) != kTokens.end();
}

bool ParsePlainDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

void SplitQuotedRecord(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string current;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          current.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        current.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  fields.push_back(std::move(current));
}

// Splits one CSV record into fields (RFC 4180 quoting). `line` has no trailing newline.
// Unquoted records, the common case, are split into views of the buffer without copying.
void SplitRecord(std::string_view line, std::vector<std::string>& storage,
                 std::vector<std::string_view>& fields) {
  fields.clear();
  if (line.find('"') == std::string_view::npos) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      if (comma == std::string_view::npos) {
        fields.push_back(line.substr(start));
        return;
      }
      fields.push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
  }
  SplitQuotedRecord(line, storage);
  for (const auto& f : storage) fields.emplace_back(f);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool ParseReturnCell(std::string_view cell, double& value, bool& has_percent) {
  cell = Trim(cell);
  if (IsMissingToken(cell)) {
    value = kNaN;
    return true;
  }
  if (ParsePlainDouble(cell, value)) return true;
  std::string cleaned;
  cleaned.reserve(cell.size());
  for (char c : cell) {
    if (c == ',') continue;
    if (c == '%') {
      has_percent = true;
      continue;
    }
    cleaned.push_back(c);
  }
  std::string_view body = Trim(cleaned);
  bool negate = false;
  if (body.size() >= 2 && body.front() == '(' && body.back() == ')') {
    body = Trim(body.substr(1, body.size() - 2));
    negate = true;
  }
  if (!ParsePlainDouble(body, value)) return false;
  if (negate) value = -value;
  return true;
}

ReturnsFrame ParseReturnsCsv(std::string_view text, std::string_view source,
                             const CsvOptions& options) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);
  std::vector<std::string> storage;
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  int line_no = 0;
  auto next_line = [&](std::string_view& line) -> bool {
    while (pos < text.size()) {
      const std::size_t end = std::min(text.find('\n', pos), text.size());
      line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!Trim(line).empty()) return true;
    }
    return false;
  };

  std::string_view line;
  if (!next_line(line)) throw InputError(fmt::format("{}: the file is empty", source));
  SplitRecord(line, storage, fields);
  const int header_line = line_no;
  const std::size_t n_fields = fields.size();

  std::optional<std::size_t> date_col;
  const std::string wanted = Lower(options.date_column);
  std::unordered_map<std::string, int> seen;
  std::vector<std::string> headers;
  for (std::size_t i = 0; i < n_fields; ++i) {
    std::string name(Trim(fields[i]));
    if (!date_col && Lower(name) == wanted) date_col = i;
    if (!seen.emplace(name, static_cast<int>(i)).second) {
      throw InputError(fmt::format("{} line {}: duplicate column name '{}'", source, header_line,
                                   name));
    }
    headers.push_back(std::move(name));
  }
  if (!date_col) {
    throw InputError(fmt::format("{} line {}: no date column '{}' in the header", source,
                                 header_line, options.date_column));
  }

  ReturnsFrame frame;
  std::vector<std::size_t> value_cols;
  for (std::size_t i = 0; i < n_fields; ++i) {
    if (i == *date_col) continue;
    value_cols.push_back(i);
    frame.columns.push_back(headers[i]);
  }
  if (value_cols.empty()) {
    throw InputError(fmt::format("{} line {}: no return columns besides '{}'", source,
                                 header_line, headers[*date_col]));
  }

  std::vector<double> cells;  // row-major while reading
  std::vector<int> row_lines;
  std::vector<char> has_percent(value_cols.size(), 0);
  while (next_line(line)) {
    SplitRecord(line, storage, fields);
    if (fields.size() != n_fields) {
      throw InputError(fmt::format("{} line {}: expected {} fields, found {}", source, line_no,
                                   n_fields, fields.size()));
    }
    const std::string_view date_text = Trim(fields[*date_col]);
    const auto date = ParseDate(date_text);
    if (!date) {
      throw InputError(fmt::format("{} line {}: cannot parse date '{}' (expected YYYY-MM-DD)",
                                   source, line_no, date_text));
    }
    if (!frame.dates.empty()) {
      const Date prev = frame.dates.back();
      if (*date == prev) {
        throw InputError(fmt::format("{} line {}: duplicate date {} (also on line {})", source,
                                     line_no, FormatDate(*date), row_lines.back()));
      }
      if (*date < prev) {
        throw InputError(fmt::format(
            "{} line {}: date {} comes after {} on line {}; rows must be in ascending date order",
            source, line_no, FormatDate(*date), FormatDate(prev), row_lines.back()));
      }
    }
    frame.dates.push_back(*date);
    row_lines.push_back(line_no);
    for (std::size_t j = 0; j < value_cols.size(); ++j) {
      double value = kNaN;
      bool percent = false;
      if (!ParseReturnCell(fields[value_cols[j]], value, percent)) {
        throw InputError(fmt::format("{} line {}, column '{}': '{}' is not a number", source,
                                     line_no, frame.columns[j], Trim(fields[value_cols[j]])));
      }
      if (percent) has_percent[j] = 1;
      cells.push_back(value);
    }
  }
  if (frame.dates.empty()) throw InputError(fmt::format("{}: no data rows", source));

  const auto rows = static_cast<Eigen::Index>(frame.dates.size());
  const auto cols = static_cast<Eigen::Index>(value_cols.size());
  frame.values = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      cells.data(), rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    if (has_percent[static_cast<std::size_t>(j)]) frame.values.col(j) *= 0.01;
    if (frame.values.col(j).array().isNaN().all()) {
      throw InputError(fmt::format("{}: column '{}' has no numeric values", source,
                                   frame.columns[static_cast<std::size_t>(j)]));
    }
  }
  return frame;
}

ReturnsFrame LoadReturnsCsv(const std::string& path, const CsvOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the returns file", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return ParseReturnsCsv(buffer.str(), path, options);
}

}  // namespace trend
