#include "data/membership.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "error/input_error.hpp"

namespace trend {
namespace {

// Splits one CSV line, honouring double quotes ("a, b" is one field; "" is a quote).
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  for (auto& f : fields) {
    const std::size_t begin = f.find_first_not_of(" \t");
    f = begin == std::string::npos ? "" : f.substr(begin, f.find_last_not_of(" \t") - begin + 1);
  }
  return fields;
}

bool IsMissing(const std::string& text) {
  return text.empty() || text == "NaT" || text == "NaN" || text == "nan" || text == "None" ||
         text == "null" || text == "NA";
}

}  // namespace

Membership LoadMembership(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open the universe membership file", path));
  std::string line;
  if (!std::getline(in, line)) throw InputError(fmt::format("{}: the file is empty", path));
  const std::vector<std::string> header = SplitCsvLine(line);
  const auto column = [&](std::initializer_list<std::string_view> names) -> int {
    for (std::size_t i = 0; i < header.size(); ++i) {
      for (std::string_view name : names) {
        if (header[i] == name) return static_cast<int>(i);
      }
    }
    return -1;
  };
  const int fund_col = column({"fund", "symbol"});
  const int start_col = column({"effective_date"});
  const int end_col = column({"end_date"});
  if (fund_col < 0 || start_col < 0) {
    throw InputError(fmt::format(
        "{} line 1: expected the columns fund (or symbol), effective_date and end_date", path));
  }
  Membership out;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::vector<std::string> fields = SplitCsvLine(line);
    const auto field = [&](int i) {
      return i >= 0 && static_cast<std::size_t>(i) < fields.size()
                 ? fields[static_cast<std::size_t>(i)]
                 : std::string();
    };
    const std::string fund = field(fund_col);
    if (fund.empty()) throw InputError(fmt::format("{} line {}: the fund is empty", path, line_no));
    const auto start = ParseDate(field(start_col));
    if (!start) {
      throw InputError(fmt::format("{} line {}: effective_date = '{}': expected a date", path,
                                   line_no, field(start_col)));
    }
    MembershipWindow window{*start, std::nullopt};
    const std::string end_text = field(end_col);
    if (!IsMissing(end_text)) {
      window.end = ParseDate(end_text);
      if (!window.end) {
        throw InputError(fmt::format("{} line {}: end_date = '{}': expected a date or nothing",
                                     path, line_no, end_text));
      }
      if (*window.end < window.start) {
        throw InputError(
            fmt::format("{} line {}: end_date is before effective_date", path, line_no));
      }
    }
    out[fund].push_back(window);
  }
  return out;
}

void ApplyMembership(ReturnsFrame& frame, const Membership& membership, std::string_view source) {
  std::vector<std::string> missing;
  for (const auto& name : frame.columns) {
    if (!membership.count(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    throw InputError(fmt::format("{}: universe membership has no effective_date for: {}", source,
                                 fmt::join(missing, ", ")));
  }
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t j = 0; j < frame.columns.size(); ++j) {
    const auto& windows = membership.at(frame.columns[j]);
    for (std::size_t t = 0; t < frame.dates.size(); ++t) {
      const Date d = frame.dates[t];
      const bool member = std::any_of(windows.begin(), windows.end(), [&](const auto& w) {
        return d >= w.start && (!w.end || d <= *w.end);
      });
      if (!member) frame.values(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(j)) = kNaN;
    }
  }
}

}  // namespace trend
