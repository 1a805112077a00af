#include "report/export_files.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "error/input_error.hpp"

namespace trend {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string CsvNumber(const std::optional<double>& value) {
  return value && !std::isnan(*value) ? fmt::format("{}", *value) : std::string();
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(fmt::format("{}: cannot write the export", path.string()));
  out << text;
  if (!out) throw InputError(fmt::format("{}: cannot write the export", path.string()));
}

void CreateExportDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw InputError(
        fmt::format("{}: cannot create the export directory: {}", dir.string(), ec.message()));
  }
}

ExportFiles::ExportFiles(const std::string& directory, const std::string& filename)
    : directory_(directory), stem_(std::filesystem::path(filename).stem().string()) {
  CreateExportDirectory(directory_);
}

std::filesystem::path ExportFiles::Claim(const std::string& suffix) {
  std::filesystem::path path = directory_ / (stem_ + suffix);
  written_.push_back(path.string());
  return path;
}

}  // namespace trend
