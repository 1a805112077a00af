#include "data/csv_reader.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

#include <cstdio>
#include <limits>
#include <thread>
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
      "",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
      "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
      "NaN",  "None",   "n/a",      "nan",  "null"};
  return std::find(kTokens.begin(), kTokens.end(), s) != kTokens.end();
}

// Clinger's fast path: a decimal with at most 15 significant digits and a power-of-ten scale
// up to 22 is m / 10^k with m and 10^k exact doubles, so one IEEE division is correctly
// rounded, the same double std::from_chars (and pandas) would produce. Returns false when
// the text needs the general parser.
bool ParseShortDecimal(std::string_view s, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) ++i;
  std::uint64_t mantissa = 0;
  int digits = 0, fraction_digits = 0;
  bool seen_point = false, any_digit = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (mantissa == 0 && c == '0') {
        if (seen_point) ++fraction_digits;
        continue;  // leading zeros are not significant
      }
      if (++digits > 15) return false;
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      return false;  // exponents, inf, nan and junk go to the general parser
    }
  }
  if (!any_digit || fraction_digits > 22) return false;
  double value = static_cast<double>(mantissa) / kPow10[fraction_digits];
  out = negative ? -value : value;
  return true;
}

bool ParsePlainDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  if (ParseShortDecimal(s, out)) return true;
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
  if (!cell.empty() && ParsePlainDouble(cell, value)) return true;
  if (IsMissingToken(cell)) {
    value = kNaN;
    return true;
  }
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

namespace {

// Splits text into lines, counting every physical line and skipping blank ones.
class LineCursor {
 public:
  LineCursor(std::string_view text, int first_line) : text_(text), line_no_(first_line - 1) {}

  bool Next(std::string_view& line) {
    while (pos_ < text_.size()) {
      const std::size_t end = std::min(text_.find('\n', pos_), text_.size());
      line = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      ++line_no_;
      if (!Trim(line).empty()) return true;
    }
    return false;
  }
  int line_no() const { return line_no_; }
  std::size_t position() const { return pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_no_;
};

struct CsvLayout {
  std::string_view source;
  std::size_t n_fields = 0;
  std::size_t date_col = 0;
  std::vector<std::size_t> value_cols;
  const std::vector<std::string>* columns = nullptr;
};

struct ParsedRows {
  std::vector<Date> dates;
  std::vector<int> lines;
  std::vector<double> cells;  // row-major
  std::vector<char> has_percent;
};

// Parses the data rows of `text` (which starts at physical line `first_line`). Throws
// InputError with the exact line for the first problem.
void ParseRows(std::string_view text, int first_line, const CsvLayout& layout, ParsedRows& out) {
  const std::size_t n_values = layout.value_cols.size();
  out.has_percent.assign(n_values, 0);
  out.cells.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n') + 1) *
                    n_values);
  std::vector<std::string> storage;
  std::vector<std::string_view> fields;
  LineCursor cursor(text, first_line);
  std::string_view line;
  while (cursor.Next(line)) {
    const int line_no = cursor.line_no();
    SplitRecord(line, storage, fields);
    if (fields.size() != layout.n_fields) {
      throw InputError(fmt::format("{} line {}: expected {} fields, found {}", layout.source,
                                   line_no, layout.n_fields, fields.size()));
    }
    const std::string_view date_text = Trim(fields[layout.date_col]);
    const auto date = ParseDate(date_text);
    if (!date) {
      throw InputError(fmt::format("{} line {}: cannot parse date '{}' (expected YYYY-MM-DD)",
                                   layout.source, line_no, date_text));
    }
    if (!out.dates.empty()) {
      const Date prev = out.dates.back();
      if (*date == prev) {
        throw InputError(fmt::format("{} line {}: duplicate date {} (also on line {})",
                                     layout.source, line_no, FormatDate(*date), out.lines.back()));
      }
      if (*date < prev) {
        throw InputError(fmt::format(
            "{} line {}: date {} comes after {} on line {}; rows must be in ascending date order",
            layout.source, line_no, FormatDate(*date), FormatDate(prev), out.lines.back()));
      }
    }
    out.dates.push_back(*date);
    out.lines.push_back(line_no);
    for (std::size_t j = 0; j < n_values; ++j) {
      double value = kNaN;
      bool percent = false;
      if (!ParseReturnCell(fields[layout.value_cols[j]], value, percent)) {
        throw InputError(fmt::format("{} line {}, column '{}': '{}' is not a number", layout.source,
                                     line_no, (*layout.columns)[j],
                                     Trim(fields[layout.value_cols[j]])));
      }
      if (percent) out.has_percent[j] = 1;
      out.cells.push_back(value);
    }
  }
}

// Large files are parsed in line-aligned chunks on several threads. Any problem (a bad cell,
// dates out of order across chunks) is reported by re-parsing sequentially, so the message
// and line number are exactly those of the one-thread parse.
std::vector<ParsedRows> ParseRowsParallel(std::string_view body, int first_line,
                                          const CsvLayout& layout) {
  constexpr std::size_t kMinChunkBytes = 1 << 20;
  const std::size_t threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                            std::max<std::size_t>(1, body.size() / kMinChunkBytes));
  if (threads <= 1) {
    std::vector<ParsedRows> one(1);
    ParseRows(body, first_line, layout, one[0]);
    return one;
  }
  std::vector<std::string_view> chunks;
  std::vector<int> first_lines;
  std::size_t begin = 0;
  int line = first_line;
  for (std::size_t k = 0; k < threads && begin < body.size(); ++k) {
    std::size_t end = k + 1 == threads ? body.size() : begin + body.size() / threads;
    if (end < body.size()) {
      const std::size_t newline = body.find('\n', end);
      end = newline == std::string_view::npos ? body.size() : newline + 1;
    }
    chunks.push_back(body.substr(begin, end - begin));
    first_lines.push_back(line);
    line += static_cast<int>(std::count(body.begin() + static_cast<std::ptrdiff_t>(begin),
                                        body.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    begin = end;
  }
  std::vector<ParsedRows> parts(chunks.size());
  std::vector<char> failed(chunks.size(), 0);
  {
    std::vector<std::jthread> workers;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      workers.emplace_back([&, k] {
        try {
          ParseRows(chunks[k], first_lines[k], layout, parts[k]);
        } catch (const InputError&) {
          failed[k] = 1;
        }
      });
    }
  }
  bool ok = std::find(failed.begin(), failed.end(), 1) == failed.end();
  for (std::size_t k = 1; ok && k < parts.size(); ++k) {
    if (!parts[k].dates.empty() && !parts[k - 1].dates.empty() &&
        parts[k].dates.front() <= parts[k - 1].dates.back()) {
      ok = false;
    }
  }
  if (!ok) {
    std::vector<ParsedRows> one(1);
    ParseRows(body, first_line, layout, one[0]);  // throws the first problem
    return one;
  }
  return parts;
}

}  // namespace

ReturnsFrame ParseReturnsCsv(std::string_view text, std::string_view source,
                             const CsvOptions& options) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);
  std::vector<std::string> storage;
  std::vector<std::string_view> fields;
  LineCursor cursor(text, 1);
  std::string_view line;
  if (!cursor.Next(line)) throw InputError(fmt::format("{}: the file is empty", source));
  SplitRecord(line, storage, fields);
  const int header_line = cursor.line_no();

  CsvLayout layout;
  layout.source = source;
  layout.n_fields = fields.size();
  std::optional<std::size_t> date_col;
  const std::string wanted = Lower(options.date_column);
  std::unordered_map<std::string, int> seen;
  std::vector<std::string> headers;
  for (std::size_t i = 0; i < layout.n_fields; ++i) {
    std::string name(Trim(fields[i]));
    if (!date_col && Lower(name) == wanted) date_col = i;
    if (!seen.emplace(name, static_cast<int>(i)).second) {
      throw InputError(
          fmt::format("{} line {}: duplicate column name '{}'", source, header_line, name));
    }
    headers.push_back(std::move(name));
  }
  if (!date_col) {
    throw InputError(fmt::format("{} line {}: no date column '{}' in the header", source,
                                 header_line, options.date_column));
  }
  layout.date_col = *date_col;

  ReturnsFrame frame;
  for (std::size_t i = 0; i < layout.n_fields; ++i) {
    if (i == *date_col) continue;
    layout.value_cols.push_back(i);
    frame.columns.push_back(headers[i]);
  }
  if (layout.value_cols.empty()) {
    throw InputError(fmt::format("{} line {}: no return columns besides '{}'", source, header_line,
                                 headers[*date_col]));
  }
  layout.columns = &frame.columns;

  const std::vector<ParsedRows> parts = ParseRowsParallel(
      text.substr(std::min(cursor.position(), text.size())), header_line + 1, layout);
  const auto n_cols = static_cast<Eigen::Index>(layout.value_cols.size());
  std::vector<char> has_percent(layout.value_cols.size(), 0);
  for (const auto& part : parts) {
    frame.dates.insert(frame.dates.end(), part.dates.begin(), part.dates.end());
    for (std::size_t j = 0; j < has_percent.size(); ++j) has_percent[j] |= part.has_percent[j];
  }
  if (frame.dates.empty()) throw InputError(fmt::format("{}: no data rows", source));
  // One copy from the row-major parse buffers into the column-major frame.
  frame.values.resize(static_cast<Eigen::Index>(frame.dates.size()), n_cols);
  Eigen::Index row = 0;
  for (const auto& part : parts) {
    const auto part_rows = static_cast<Eigen::Index>(part.dates.size());
    frame.values.middleRows(row, part_rows) =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            part.cells.data(), part_rows, n_cols);
    row += part_rows;
  }
  for (Eigen::Index j = 0; j < n_cols; ++j) {
    if (has_percent[static_cast<std::size_t>(j)]) frame.values.col(j) *= 0.01;
    if (frame.values.col(j).array().isNaN().all()) {
      throw InputError(fmt::format("{}: column '{}' has no numeric values", source,
                                   frame.columns[static_cast<std::size_t>(j)]));
    }
  }
  return frame;
}

ReturnsFrame LoadReturnsCsv(const std::string& path, const CsvOptions& options) {
  // Map the file rather than copy it: a 12 MB file costs no allocation or page zeroing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open the returns file", path));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw InputError(fmt::format("{}: not a regular file", path));
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return ParseReturnsCsv(std::string_view(), path, options);
  }
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) throw InputError(fmt::format("{}: cannot read the returns file", path));
  struct Unmap {
    void* data;
    std::size_t size;
    ~Unmap() { ::munmap(data, size); }
  } unmap{data, size};
  return ParseReturnsCsv(std::string_view(static_cast<const char*>(data), size), path, options);
}

}  // namespace trend
