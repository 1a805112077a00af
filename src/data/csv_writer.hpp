// A ReturnsFrame back to the wide CSV the reader takes: the date column, then one column per
// series, each value in the shortest text that reads back as the same double (NaN as an empty
// cell). Used to send returns that came from a database to workers that read CSV.
#pragma once

#include <optional>
#include <string>

#include "data/returns_frame.hpp"

namespace trend {

std::string FormatReturnsCsv(const ReturnsFrame& frame, const std::string& date_column = "Date");

// The same text, checked to read back (with this date column) as the very same frame, bit for
// bit; nullopt when it would not.
std::optional<std::string> FormatReturnsCsvExact(const ReturnsFrame& frame,
                                                 const std::string& date_column);

}  // namespace trend
