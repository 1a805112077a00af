// Reads a wide returns CSV (a date column and one numeric column per series) into a
// ReturnsFrame. Every structural problem is an InputError naming the file, line and column.
#pragma once

#include <string>
#include <string_view>

#include "data/returns_frame.hpp"

namespace trend {

struct CsvOptions {
  std::string date_column = "Date";  // matched case-insensitively, as the reference does
};

// `source` names the input in error messages (usually the path).
ReturnsFrame ParseReturnsCsv(std::string_view text, std::string_view source,
                             const CsvOptions& options = {});

ReturnsFrame LoadReturnsCsv(const std::string& path, const CsvOptions& options = {});

// Parses one cell the way the reference normalises numeric strings: blanks and NA spellings
// are missing (NaN); "1,234.5" drops the comma; "(0.5)" is -0.5; a trailing '%' is reported
// through `has_percent` (the caller scales the whole column). Returns false if not a number.
bool ParseReturnCell(std::string_view cell, double& value, bool& has_percent);

}  // namespace trend
