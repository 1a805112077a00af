#include "data/csv_writer.hpp"

#include <fmt/format.h>

#include <cmath>

namespace trend {
namespace {

void AppendField(std::string& out, const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string FormatReturnsCsv(const ReturnsFrame& frame, const std::string& date_column) {
  std::string out;
  AppendField(out, date_column);
  for (const auto& column : frame.columns) {
    out += ',';
    AppendField(out, column);
  }
  out += '\n';
  for (std::size_t r = 0; r < frame.rows(); ++r) {
    out += FormatDate(frame.dates[r]);
    for (std::size_t c = 0; c < frame.cols(); ++c) {
      out += ',';
      const double value = frame.values(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
      if (!std::isnan(value)) fmt::format_to(std::back_inserter(out), "{}", value);
    }
    out += '\n';
  }
  return out;
}

}  // namespace trend
