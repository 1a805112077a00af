#include "data/csv_writer.hpp"

#include <fmt/format.h>

#include <cmath>

#include "data/csv_reader.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

bool SameFrame(const ReturnsFrame& a, const ReturnsFrame& b) {
  if (a.dates.size() != b.dates.size() || a.columns != b.columns) return false;
  for (std::size_t i = 0; i < a.dates.size(); ++i) {
    if (a.dates[i].days != b.dates[i].days) return false;
  }
  for (Eigen::Index i = 0; i < a.values.size(); ++i) {
    const double x = a.values.data()[i], y = b.values.data()[i];
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

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

std::optional<std::string> FormatReturnsCsvExact(const ReturnsFrame& frame,
                                                 const std::string& date_column) {
  std::string csv = FormatReturnsCsv(frame, date_column);
  CsvOptions options;
  options.date_column = date_column;
  try {
    if (!SameFrame(ParseReturnsCsv(csv, "returns", options), frame)) return std::nullopt;
  } catch (const InputError&) {
    return std::nullopt;
  }
  return csv;
}

}  // namespace trend
