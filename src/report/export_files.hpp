// Small helpers shared by the export writers: CSV quoting, numbers and file writes that fail
// with the path named.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trend {

// RFC 4180 quoting when the text has a comma, quote or newline.
std::string CsvField(const std::string& text);
// Shortest round-trip text of a number; empty for none or NaN.
std::string CsvNumber(const std::optional<double>& value);
// Writes `text` to `path` whole or not at all (a temporary file, fsync, rename); throws
// InputError naming the path and the reason.
void WriteFile(const std::filesystem::path& path, const std::string& text);
// Creates the directory (and parents); throws InputError naming it.
void CreateExportDirectory(const std::filesystem::path& dir);

// The files of one export: <directory>/<stem of filename><suffix>. Creates the directory when
// made and lists every file handed out, in order.
class ExportFiles {
 public:
  ExportFiles(const std::string& directory, const std::string& filename);
  // The path for `suffix`, recorded as written (for writers that write it themselves).
  std::filesystem::path Claim(const std::string& suffix);
  void Write(const std::string& suffix, const std::string& text) { WriteFile(Claim(suffix), text); }
  std::vector<std::string> written() && { return std::move(written_); }

 private:
  std::filesystem::path directory_;
  std::string stem_;
  std::vector<std::string> written_;
};

}  // namespace trend
