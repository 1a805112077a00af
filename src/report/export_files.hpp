// Small helpers shared by the export writers: CSV quoting, numbers and file writes that fail
// with the path named.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace trend {

// RFC 4180 quoting when the text has a comma, quote or newline.
std::string CsvField(const std::string& text);
// Shortest round-trip text of a number; empty for none or NaN.
std::string CsvNumber(const std::optional<double>& value);
// Writes `text` to `path`; throws InputError naming the path.
void WriteFile(const std::filesystem::path& path, const std::string& text);
// Creates the directory (and parents); throws InputError naming it.
void CreateExportDirectory(const std::filesystem::path& dir);

}  // namespace trend
