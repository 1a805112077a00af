#include "ingest/access_log.hpp"

#include <fmt/format.h>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "data/date.hpp"

namespace trend::ingest {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool ParseDigits(std::string_view text, int& value) {
  if (text.empty()) return false;
  value = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

// A cursor over the line that takes one field at a time.
class Fields {
 public:
  explicit Fields(std::string_view line) : rest_(line) {}

  void SkipSpaces() {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
  }
  bool AtEnd() {
    SkipSpaces();
    return rest_.empty();
  }
  // Up to the next space.
  std::string_view Token() {
    SkipSpaces();
    const std::size_t end = rest_.find(' ');
    const std::string_view token = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    return token;
  }
  // [ ... ]
  std::optional<std::string_view> Bracketed() {
    SkipSpaces();
    if (rest_.empty() || rest_.front() != '[') return std::nullopt;
    const std::size_t end = rest_.find(']');
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view inside = rest_.substr(1, end - 1);
    rest_.remove_prefix(end + 1);
    return inside;
  }
  // " ... " with \" and \\ escapes; the raw inside, still escaped.
  std::optional<std::string_view> Quoted() {
    SkipSpaces();
    if (rest_.empty() || rest_.front() != '"') return std::nullopt;
    for (std::size_t i = 1; i < rest_.size(); ++i) {
      if (rest_[i] == '\\') {
        ++i;
      } else if (rest_[i] == '"') {
        const std::string_view inside = rest_.substr(1, i - 1);
        rest_.remove_prefix(i + 1);
        return inside;
      }
    }
    return std::nullopt;
  }
  bool NextIsQuote() {
    SkipSpaces();
    return !rest_.empty() && rest_.front() == '"';
  }

 private:
  std::string_view rest_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// What each byte is, for LooksLikeId's one pass over a segment.
enum CharClass : std::uint8_t { kDigit = 1, kLetter = 2, kHexDigit = 4 };
constexpr std::array<std::uint8_t, 256> kCharClasses = [] {
  std::array<std::uint8_t, 256> classes{};
  for (int c = '0'; c <= '9'; ++c) classes[c] = kDigit | kHexDigit;
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kLetter | (c <= 'f' ? kHexDigit : 0);
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kLetter | (c <= 'F' ? kHexDigit : 0);
  return classes;
}();

bool LooksLikeId(std::string_view segment) {
  if (segment.empty()) return false;
  // Which classes some byte has, and which every byte has: one pass, no branch per byte.
  std::uint8_t any = 0, all = 0xFF;
  for (const char c : segment) {
    const std::uint8_t cls = kCharClasses[static_cast<unsigned char>(c)];
    any |= cls;
    all &= cls;
  }
  const bool digit = (any & kDigit) != 0;
  if ((any & kLetter) == 0) return digit && (all & kDigit) != 0;  // a number
  if (segment.size() >= 8 && digit && (all & kHexDigit) != 0) return true;
  if (segment.size() == 36 && segment[8] == '-' && segment[13] == '-' && segment[18] == '-' &&
      segment[23] == '-') {
    return true;  // UUID
  }
  // Long opaque tokens (base64, mixed ids): letters and digits, 20 or more characters.
  return segment.size() >= 20 && digit;
}

// Appends `text` with its escapes undone; the result is never longer than `text`.
void AppendUnescaped(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == 'x' && i + 3 < text.size() && HexValue(text[i + 2]) >= 0 &&
          HexValue(text[i + 3]) >= 0) {
        out += static_cast<char>(HexValue(text[i + 2]) * 16 + HexValue(text[i + 3]));
        i += 3;
        continue;
      }
      if (text[i + 1] == '"' || text[i + 1] == '\\') {
        out += text[++i];
        continue;
      }
    }
    out += text[i];
  }
}

// The field unescaped: the text itself when it has no backslash, else a view of what was
// appended to `scratch` (whose capacity the caller reserved, so earlier views stay valid).
std::string_view Unescaped(std::string_view text, std::string& scratch) {
  if (text.find('\\') == std::string_view::npos) return text;
  const std::size_t start = scratch.size();
  AppendUnescaped(text, scratch);
  return std::string_view(scratch).substr(start);
}

// Appends the route template of `path` to `out`.
void AppendRoute(std::string_view path, std::string& out) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(start, end - start);
    out += LooksLikeId(segment) ? std::string_view("{id}") : segment;
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
}

bool HasIdSegment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (LooksLikeId(path.substr(start, end - start))) return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

std::optional<std::int64_t> ParseLogTimeText(std::string_view text) {
  // dd/Mon/yyyy:HH:MM:SS +zzzz
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' ||
      text[17] != ':' || text[20] != ' ' || (text[21] != '+' && text[21] != '-')) {
    return std::nullopt;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, zone_h = 0, zone_m = 0;
  if (!ParseDigits(text.substr(0, 2), day) || !ParseDigits(text.substr(7, 4), year) ||
      !ParseDigits(text.substr(12, 2), hour) || !ParseDigits(text.substr(15, 2), minute) ||
      !ParseDigits(text.substr(18, 2), second) || !ParseDigits(text.substr(22, 2), zone_h) ||
      !ParseDigits(text.substr(24, 2), zone_m)) {
    return std::nullopt;
  }
  int month = 0;
  for (std::size_t m = 0; m < kMonths.size() && month == 0; ++m) {
    const std::string_view name = kMonths[m];
    if (text[3] == name[0] && text[4] == name[1] && text[5] == name[2])
      month = static_cast<int>(m) + 1;
  }
  if (month == 0 || !IsValidCivil(year, month, day) || hour > 23 || minute > 59 || second > 60 ||
      zone_h > 23 || zone_m > 59) {
    return std::nullopt;
  }
  const std::int64_t days = DateFromCivil(year, month, day).days;
  const std::int64_t zone = (zone_h * 3600 + zone_m * 60) * (text[21] == '+' ? 1 : -1);
  return days * 86400 + hour * 3600 + minute * 60 + second - zone;
}

}  // namespace

std::string UnescapeLogField(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendUnescaped(text, out);
  return out;
}

std::optional<std::int64_t> ParseLogTime(std::string_view text) {
  // A log's lines come a second at a time, each second's with the same text: the last one read
  // on this thread is answered from memory.
  thread_local std::array<char, 26> last_text{};
  thread_local std::int64_t last_time = 0;
  thread_local bool remembered = false;
  if (remembered && text.size() == last_text.size() &&
      std::memcmp(text.data(), last_text.data(), last_text.size()) == 0) {
    return last_time;
  }
  const auto time = ParseLogTimeText(text);
  if (time) {
    std::memcpy(last_text.data(), text.data(), last_text.size());
    last_time = *time;
    remembered = true;
  }
  return time;
}

std::string RouteTemplate(std::string_view path) {
  std::string route;
  route.reserve(path.size());
  AppendRoute(path, route);
  return route;
}

bool ParseAccessFields(std::string_view line, AccessLogFormat format, AccessFields& record,
                       std::string& scratch, std::string& reason) {
  auto fail = [&reason](std::string why) {
    reason = std::move(why);
    return false;
  };
  if (line.find('\0') != std::string_view::npos) return fail("NUL byte in the line");
  // Unescaped fields are never longer than the line, and a route at most four times its path:
  // with this much room, the views taken into `scratch` stay valid.
  scratch.clear();
  scratch.reserve(6 * line.size() + 16);
  record = AccessFields{};
  Fields fields(line);
  record.client = fields.Token();
  if (record.client.empty()) return fail("empty line");
  fields.Token();  // ident, always '-' in practice
  record.user = fields.Token();
  const auto when = fields.Bracketed();
  if (!when) return fail("time: expected [dd/Mon/yyyy:HH:MM:SS +zzzz] after client, ident, user");
  const auto time = ParseLogTime(*when);
  if (!time) return fail(fmt::format("time: cannot read '{}'", *when));
  record.time = *time;
  const auto request = fields.Quoted();
  if (!request) return fail("request: expected a quoted request line");
  {
    const std::string_view text = Unescaped(*request, scratch);
    const std::size_t first = text.find(' ');
    const std::size_t last = text.rfind(' ');
    const std::string_view method = text.substr(0, first);
    const bool parsed =
        first != std::string_view::npos && last != first && !method.empty() &&
        method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos &&
        text.substr(last + 1).starts_with("HTTP/");
    if (parsed) {
      record.method = method;
      const std::string_view target = text.substr(first + 1, last - first - 1);
      const std::size_t question = target.find('?');
      record.path = target.substr(0, question);
      if (question != std::string_view::npos) record.query = target.substr(question + 1);
      record.protocol = text.substr(last + 1);
      if (HasIdSegment(record.path)) {
        const std::size_t route_start = scratch.size();
        AppendRoute(record.path, scratch);
        record.route = std::string_view(scratch).substr(route_start);
      } else {
        record.route = record.path;
      }
    } else {
      record.path = text;  // "-", a bare probe, binary junk: kept as sent
    }
  }
  const std::string_view status = fields.Token();
  if (status.size() != 3 || !ParseDigits(status, record.status) || record.status < 100) {
    return fail(fmt::format("status: expected 3 digits, found '{}'", status));
  }
  const std::string_view bytes = fields.Token();
  if (bytes != "-") {
    const auto [end, error] =
        std::from_chars(bytes.data(), bytes.data() + bytes.size(), record.bytes);
    if (error != std::errc() || end != bytes.data() + bytes.size() || bytes.empty() ||
        record.bytes < 0) {
      return fail(fmt::format("bytes: expected a count or '-', found '{}'", bytes));
    }
  }
  if (format == AccessLogFormat::kCombined) {
    const auto referrer = fields.Quoted();
    const auto agent = referrer ? fields.Quoted() : std::nullopt;
    if (!referrer || !agent)
      return fail("combined format: expected quoted referrer and user agent");
    if (*referrer != "-") record.referrer = Unescaped(*referrer, scratch);
    if (*agent != "-") record.user_agent = Unescaped(*agent, scratch);
  }
  // Extras: rt=<seconds>, run=<id>, a bare number (nginx's $request_time); others ignored.
  while (!fields.AtEnd()) {
    if (fields.NextIsQuote()) {
      if (!fields.Quoted()) return fail("unterminated quoted field after the status");
      continue;
    }
    const std::string_view extra = fields.Token();
    std::string_view number;
    if (extra.starts_with("rt=")) {
      number = extra.substr(3);
    } else if (extra.starts_with("run=")) {
      if (extra.size() > 4 && extra.substr(4) != "-") record.run_id = extra.substr(4);
      continue;
    } else if (!extra.empty() && (IsDigit(extra.front()) || extra.front() == '.')) {
      number = extra;
    } else {
      continue;
    }
    double seconds = 0;
    const auto [end, error] =
        std::from_chars(number.data(), number.data() + number.size(), seconds);
    if (error == std::errc() && end == number.data() + number.size() && seconds >= 0) {
      record.request_time = seconds;
    } else if (extra.starts_with("rt=")) {
      return fail(fmt::format("rt: expected seconds, found '{}'", number));
    }
  }
  // A GET of a stored result names its run in the path.
  if (record.run_id.empty() && record.route == "/api/v1/runs/{id}") {
    record.run_id = record.path.substr(record.path.rfind('/') + 1);
  }
  return true;
}

std::optional<AccessRecord> ParseAccessLine(std::string_view line, AccessLogFormat format,
                                            std::string& reason) {
  AccessFields fields;
  std::string scratch;
  if (!ParseAccessFields(line, format, fields, scratch, reason)) return std::nullopt;
  AccessRecord record;
  record.time = fields.time;
  record.client = fields.client;
  record.user = fields.user;
  record.method = fields.method;
  record.path = fields.path;
  record.query = fields.query;
  record.protocol = fields.protocol;
  record.route = fields.route;
  record.status = fields.status;
  record.bytes = fields.bytes;
  record.referrer = fields.referrer;
  record.user_agent = fields.user_agent;
  record.request_time = fields.request_time;
  record.run_id = fields.run_id;
  return record;
}

}  // namespace trend::ingest
