#include "data/csv_reader.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>

#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>

#include <tbb/parallel_for.h>
#include <unordered_map>

#include "data/utf8.hpp"
#include "error/input_error.hpp"
#include "parallel/parallel_ranges.hpp"

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

constexpr std::uint64_t kPow10Int[] = {1,      10,      100,      1000,     10000,
                                       100000, 1000000, 10000000, 100000000};

constexpr std::uint64_t kAsciiZeros = 0x3030303030303030ULL;

// For eight bytes already XORed with '0' (digits become 0..9): a mask with the high bit of
// every byte that is not a digit. Adding 0x76 sets the high bit of bytes above 9; carries only
// run past the first non-digit byte, which is the one that matters.
inline std::uint64_t NonDigitBytes(std::uint64_t chunk) {
  return ((chunk + 0x7676767676767676ULL) | chunk) & 0x8080808080808080ULL;
}

// The value of the first n (1..8) digit bytes of an XORed chunk, with three multiplies: the
// digits move to the high bytes so the low bytes act as leading zeros, then pairs, quads and
// octets are combined.
inline std::uint64_t DigitsValue(std::uint64_t chunk, int n) {
  chunk <<= 8 * (8 - n);
  chunk = ((chunk & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
  chunk = ((chunk & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  return ((chunk & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}

// Reads the run of ASCII digits at `p` (all before `end`), advancing `p` and adding them to
// `mantissa`; returns their number. Sixteen bytes are classified at once, so the end of a
// run of up to 15 digits, and with it the next field, is found without waiting on the first
// eight.
inline std::ptrdiff_t AccumulateDigits(const char*& p, const char* end, std::uint64_t& mantissa) {
  if (end - p >= 16) {
    std::uint64_t low, high;
    std::memcpy(&low, p, 8);
    std::memcpy(&high, p + 8, 8);
    low ^= kAsciiZeros;
    high ^= kAsciiZeros;
    const std::uint64_t low_mask = NonDigitBytes(low), high_mask = NonDigitBytes(high);
    if (low_mask != 0) {
      const int n = std::countr_zero(low_mask) / 8;
      if (n > 0) mantissa = mantissa * kPow10Int[n] + DigitsValue(low, n);
      p += n;
      return n;
    }
    if (high_mask != 0) {
      const int n = std::countr_zero(high_mask) / 8;
      mantissa = mantissa * kPow10Int[8] + DigitsValue(low, 8);
      if (n > 0) mantissa = mantissa * kPow10Int[n] + DigitsValue(high, n);
      p += 8 + n;
      return 8 + n;
    }
  }
  const char* const begin = p;  // long runs and line ends: one digit at a time
  for (; p != end && static_cast<unsigned>(*p - '0') < 10u; ++p) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
  }
  return p - begin;
}

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Scans one plain decimal ("-0.0123", "4", ".5", or an empty field) from `p` up to the next
// comma or `end`. The value is `out / 10^scale`: Clinger's fast path, where a mantissa up to
// 2^53 and 10^k with k <= 22 are exact doubles, so one IEEE division gives the correctly rounded
// result (the same double as std::from_chars and pandas). The division is left to the caller
// so a whole row can be divided in a tight loop. Returns the position of the delimiter, or
// nullptr if the field needs the general parser (exponents, NA spellings, spaces, "%", ...).
inline const char* ScanPlainNumber(const char* p, const char* end, double& out,
                                   std::uint8_t& scale) {
  const char* const start = p;
  scale = 0;
  if (p == end || *p == ',') {
    out = kNaN;  // an empty cell is missing
    return p;
  }
  const bool negative = *p == '-';
  if (negative) ++p;
  std::uint64_t mantissa = 0;
  std::ptrdiff_t digits = 0;
  if (end - p >= 2 && p[0] == '0' && p[1] == '.') {
    ++p;  // "0.": the common shape of a return needs no digit run for the integer part
  } else {
    digits = AccumulateDigits(p, end, mantissa);
  }
  std::ptrdiff_t fraction_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    fraction_digits = AccumulateDigits(p, end, mantissa);
    digits += fraction_digits;
  }
  if (digits == 0 || (p != end && *p != ',')) return nullptr;
  // Up to 19 digits the mantissa cannot have wrapped.
  if (digits <= 19 && mantissa <= (std::uint64_t{1} << 53) && fraction_digits <= 22) {
    const auto value = static_cast<double>(mantissa);
    out = negative ? -value : value;
    scale = static_cast<std::uint8_t>(fraction_digits);
    return p;
  }
  const auto [ptr, ec] = std::from_chars(start, p, out);  // long mantissas: exact slow path
  return ec == std::errc() && ptr == p ? p : nullptr;
}

bool ParsePlainDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::uint8_t scale = 0;
  if (ScanPlainNumber(s.data(), s.data() + s.size(), out, scale) == s.data() + s.size()) {
    out /= kPow10[scale];
    return true;
  }
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

// Rows parsed from one chunk of the file, written straight into the frame's column-major
// values from row `first_row` on.
struct ChunkResult {
  std::vector<Date> dates;
  std::vector<char> has_percent;
};

// The general record parser: RFC 4180 quoting, NA spellings, "%", "(x)" and thousands
// separators. Throws InputError with the exact line for the first problem.
void ParseRecordGeneral(std::string_view line, int line_no, const CsvLayout& layout,
                        std::vector<std::string>& storage, std::vector<std::string_view>& fields,
                        Date& date_out, double* cells, std::vector<char>& has_percent) {
  SplitRecord(line, storage, fields);
  if (fields.size() != layout.n_fields) {
    throw InputError(fmt::format("{} line {}: expected {} fields, found {}", layout.source, line_no,
                                 layout.n_fields, fields.size()));
  }
  const std::string_view date_text = Trim(fields[layout.date_col]);
  const auto date = ParseDate(date_text);
  if (!date) {
    throw InputError(fmt::format("{} line {}: cannot parse date '{}' (expected YYYY-MM-DD)",
                                 layout.source, line_no, date_text));
  }
  date_out = *date;
  for (std::size_t j = 0; j < layout.value_cols.size(); ++j) {
    bool percent = false;
    if (!ParseReturnCell(fields[layout.value_cols[j]], cells[j], percent)) {
      throw InputError(fmt::format("{} line {}, column '{}': '{}' is not a number", layout.source,
                                   line_no, (*layout.columns)[j],
                                   Trim(fields[layout.value_cols[j]])));
    }
    if (percent) has_percent[j] = 1;
  }
}

// The fast path for an unquoted record: fields are scanned and converted in one pass with no
// intermediate views. Returns false if anything needs the general parser, which then either
// succeeds or reports the problem with its exact message.
bool ParseRecordFast(std::string_view line, const CsvLayout& layout, Date& date_out, double* cells,
                     std::uint8_t* scales, std::vector<char>& has_percent) {
  const char* p = line.data();
  const char* const end = p + line.size();
  std::size_t value_index = 0;
  for (std::size_t field = 0; field < layout.n_fields; ++field) {
    if (field > 0) {
      if (p == end || *p != ',') return false;  // too few fields
      ++p;
    }
    if (field == layout.date_col) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', end - p));
      const char* field_end = comma ? comma : end;
      const auto date = ParseDate(Trim(std::string_view(p, field_end - p)));
      if (!date) return false;
      date_out = *date;
      p = field_end;
      continue;
    }
    const char* next = ScanPlainNumber(p, end, cells[value_index], scales[value_index]);
    if (next == nullptr) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', end - p));
      next = comma ? comma : end;
      bool percent = false;
      if (!ParseReturnCell(std::string_view(p, next - p), cells[value_index], percent)) {
        return false;
      }
      if (percent) has_percent[value_index] = 1;
      scales[value_index] = 0;
    }
    p = next;
    ++value_index;
  }
  if (p != end) return false;  // extra fields go to the general parser for the message
  // Independent divisions in a tight loop overlap; inside the scan each one stalled it.
  for (std::size_t j = 0; j < layout.value_cols.size(); ++j) cells[j] /= kPow10[scales[j]];
  return true;
}

// Upper bound on the records in `text`: its line count (blank lines are skipped later).
std::size_t CountLines(std::string_view text) {
  if (text.empty()) return 0;
  // memchr jumps line to line far faster than std::count inspects every byte.
  std::size_t newlines = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
    ++newlines;
    ++p;
  }
  return newlines + (text.back() == '\n' ? 0 : 1);
}

// Parses the data rows of `text` (which starts at physical line `first_line`) into columns
// `values` from row `first_row`, which has room for CountLines(text) rows. Cells are parsed
// row by row into a small row-major block that is transposed while it is still in cache.
// Throws InputError with the exact line for the first problem.
void ParseRows(std::string_view text, int first_line, const CsvLayout& layout,
               Eigen::MatrixXd& values, Eigen::Index first_row, ChunkResult& out) {
  constexpr std::size_t kBlockRows = 64;
  const std::size_t n_values = layout.value_cols.size();
  out.has_percent.assign(n_values, 0);
  out.dates.reserve(CountLines(text));
  std::vector<double> block(kBlockRows * n_values);
  std::vector<std::uint8_t> scales(n_values);
  std::size_t block_rows = 0;
  const auto flush = [&] {
    const auto row = first_row + static_cast<Eigen::Index>(out.dates.size() - block_rows);
    values.middleRows(row, static_cast<Eigen::Index>(block_rows)) =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            block.data(), static_cast<Eigen::Index>(block_rows),
            static_cast<Eigen::Index>(n_values));
    block_rows = 0;
  };
  std::vector<std::string> storage;
  std::vector<std::string_view> fields;
  int line_no = first_line - 1, previous_line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char* const line_begin = text.data() + pos;
    const auto* newline =
        static_cast<const char*>(std::memchr(line_begin, '\n', text.size() - pos));
    std::string_view line(
        line_begin, newline ? static_cast<std::size_t>(newline - line_begin) : text.size() - pos);
    pos += line.size() + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    double* const cells = block.data() + block_rows * n_values;
    Date date;
    const bool plain = std::memchr(line.data(), '"', line.size()) == nullptr &&
                       ParseRecordFast(line, layout, date, cells, scales.data(), out.has_percent);
    if (!plain) {
      ParseRecordGeneral(line, line_no, layout, storage, fields, date, cells, out.has_percent);
    }
    if (!out.dates.empty()) {
      const Date prev = out.dates.back();
      if (date == prev) {
        throw InputError(fmt::format("{} line {}: duplicate date {} (also on line {})",
                                     layout.source, line_no, FormatDate(date), previous_line));
      }
      if (date < prev) {
        throw InputError(fmt::format(
            "{} line {}: date {} comes after {} on line {}; rows must be in ascending date order",
            layout.source, line_no, FormatDate(date), FormatDate(prev), previous_line));
      }
    }
    out.dates.push_back(date);
    previous_line = line_no;
    if (++block_rows == kBlockRows) flush();
  }
  if (block_rows > 0) flush();
}

// Parses all data rows into `frame`. Large files are parsed in line-aligned chunks on several
// threads, each writing its own rows of the frame. Any problem (a bad cell, dates out of order
// across chunks) is reported by re-parsing sequentially, so the message and line number are
// exactly those of the one-thread parse.
std::vector<char> ParseBody(std::string_view body, int first_line, const CsvLayout& layout,
                            ReturnsFrame& frame) {
  // Chunks of about 1 MB, however many cores there are, so the parse (and every check across
  // chunks) is the same on every machine; oneTBB spreads them over the cores it has.
  constexpr std::size_t kMinChunkBytes = 1 << 20;
  constexpr std::size_t kMaxChunks = 64;
  const auto n_cols = static_cast<Eigen::Index>(layout.value_cols.size());
  const std::size_t threads =
      std::min<std::size_t>(kMaxChunks, std::max<std::size_t>(1, body.size() / kMinChunkBytes));
  if (body.empty()) {
    frame.values.resize(0, n_cols);
    return std::vector<char>(layout.value_cols.size(), 0);
  }
  std::vector<std::string_view> chunks;
  std::size_t begin = 0;
  for (std::size_t k = 0; k < threads && begin < body.size(); ++k) {
    std::size_t end = k + 1 == threads ? body.size() : begin + body.size() / threads;
    if (end < body.size()) {
      const std::size_t newline = body.find('\n', end);
      end = newline == std::string_view::npos ? body.size() : newline + 1;
    }
    chunks.push_back(body.substr(begin, end - begin));
    begin = end;
  }
  // Rows are counted first so every chunk knows where its rows go.
  std::vector<std::size_t> capacity(chunks.size());
  std::vector<ChunkResult> parts(chunks.size());
  std::vector<char> failed(chunks.size(), 0);
  // On the caller's oneTBB arena (the server's and the sweep's pools), not threads of our own.
  const auto run_all = [&](auto&& task) {
    tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t k) { task(k); });
  };
  run_all([&](std::size_t k) { capacity[k] = CountLines(chunks[k]); });
  std::vector<Eigen::Index> first_row(chunks.size() + 1, 0);
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    first_row[k + 1] = first_row[k] + static_cast<Eigen::Index>(capacity[k]);
  }
  frame.values.resize(first_row.back(), n_cols);
  if (chunks.size() <= 1) {
    parts.resize(1);
    ParseRows(body, first_line, layout, frame.values, 0, parts[0]);
  } else {
    run_all([&](std::size_t k) {
      try {
        // Line numbers only matter for messages, which come from the sequential re-parse.
        ParseRows(chunks[k], first_line, layout, frame.values, first_row[k], parts[k]);
      } catch (const InputError&) {
        failed[k] = 1;
      }
    });
    bool ok = std::find(failed.begin(), failed.end(), 1) == failed.end();
    // Dates must rise across chunks too: each chunk against the last date before it (a chunk of
    // blank lines has none, and must not hide a step back).
    std::optional<Date> last;
    for (std::size_t k = 0; ok && k < parts.size(); ++k) {
      if (parts[k].dates.empty()) continue;
      if (last && parts[k].dates.front() <= *last) ok = false;
      last = parts[k].dates.back();
    }
    if (!ok) {
      parts.assign(1, ChunkResult{});
      first_row.assign({0, first_row.back()});
      ParseRows(body, first_line, layout, frame.values, 0, parts[0]);  // throws the first problem
    }
  }
  // Blank lines leave unused rows at the end of a chunk's range: close the gaps.
  Eigen::Index row = 0;
  std::vector<char> has_percent(layout.value_cols.size(), 0);
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const auto rows = static_cast<Eigen::Index>(parts[k].dates.size());
    if (row != first_row[k] && rows > 0) {
      frame.values.middleRows(row, rows) = frame.values.middleRows(first_row[k], rows).eval();
    }
    row += rows;
    frame.dates.insert(frame.dates.end(), parts[k].dates.begin(), parts[k].dates.end());
    for (std::size_t j = 0; j < has_percent.size(); ++j) has_percent[j] |= parts[k].has_percent[j];
  }
  if (row != frame.values.rows()) frame.values.conservativeResize(row, n_cols);
  return has_percent;
}

}  // namespace

namespace {

// A workbook given where a CSV is expected would otherwise fail on its first "line" with a
// message about fields or UTF-8. Debian has no C or C++ library that reads .xlsx, so the
// answer is to save it as CSV, said plainly. The magic numbers: a ZIP archive (.xlsx, .ods)
// and an OLE2 compound file (.xls).
void RefuseSpreadsheet(std::string_view text, std::string_view source) {
  const bool zip = text.substr(0, 4) == std::string_view("PK\x03\x04", 4);
  const bool ole2 = text.substr(0, 8) == std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  if (!zip && !ole2) return;
  throw InputError(fmt::format(
      "{}: this is a spreadsheet workbook ({}), not a CSV file: open it in Excel or LibreOffice "
      "and save the returns sheet as CSV (comma-separated), then use that file",
      source, zip ? ".xlsx or another zipped format" : ".xls"));
}

}  // namespace

ReturnsFrame ParseReturnsCsv(std::string_view text, std::string_view source,
                             const CsvOptions& options) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);
  RefuseSpreadsheet(text, source);
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
    if (!IsValidUtf8(name)) {
      throw InputError(
          fmt::format("{} line {}: the name of column {} is not valid UTF-8 (save the "
                      "file as UTF-8)",
                      source, header_line, i + 1));
    }
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

  const std::vector<char> has_percent = ParseBody(
      text.substr(std::min(cursor.position(), text.size())), header_line + 1, layout, frame);
  if (frame.dates.empty()) throw InputError(fmt::format("{}: no data rows", source));
  const auto n_cols = static_cast<Eigen::Index>(layout.value_cols.size());
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
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
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
