#include "cli/returns_input.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "data/csv_reader.hpp"
#include "data/csv_writer.hpp"
#include "data/database_source.hpp"
#include "error/input_error.hpp"

namespace trend {

ReturnsInput LoadReturnsInput(const AnalysisSettings& settings, const std::string& returns_override,
                              const std::string& config_path) {
  const DataSettings& data = settings.data;
  if (returns_override.empty() && !data.source.empty()) {
    DatabaseSource source{data.source, data.table, data.stream};
    return {LoadReturnsDatabase(source),
            fmt::format("{} ({}, stream {})", data.source, data.table, data.stream)};
  }
  if (!returns_override.empty() && !data.source.empty()) {
    std::fprintf(stderr,
                 "trend: warning: %s: data.source has no effect: --returns %s is read instead\n",
                 config_path.c_str(), returns_override.c_str());
  }
  const std::string path = returns_override.empty() ? data.csv_path : returns_override;
  if (path.empty()) {
    throw InputError(fmt::format(
        "{}: neither data.csv_path nor data.source is set; pass --returns CSV", config_path));
  }
  CsvOptions csv;
  csv.date_column = data.date_column;
  return {LoadReturnsCsv(path, csv), path};
}

std::string ReadTextFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the {}", path, what));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReturnsCsvText(const AnalysisSettings& settings, const std::string& returns_override,
                           const ReturnsInput& input) {
  if (!returns_override.empty() || settings.data.source.empty())
    return ReadTextFile(input.name, "returns file");
  std::optional<std::string> csv = FormatReturnsCsvExact(input.frame, settings.data.date_column);
  if (!csv) {
    throw InputError(fmt::format(
        "{}: these returns do not read back identically from CSV; export them and pass --returns",
        input.name));
  }
  return *csv;
}

}  // namespace trend
