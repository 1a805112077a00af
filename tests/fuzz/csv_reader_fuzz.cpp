// The returns CSV reader on arbitrary bytes: a parsed frame or an InputError, nothing else.
// Ragged rows, odd encodings, huge or signed numbers, dates in any order, blank runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/csv_reader.hpp"
#include "error/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const trend::ReturnsFrame frame = trend::ParseReturnsCsv(text, "fuzz.csv");
    // What the reader returns is consistent: one value per date and column.
    if (static_cast<std::size_t>(frame.values.rows()) != frame.dates.size() ||
        static_cast<std::size_t>(frame.values.cols()) != frame.columns.size()) {
      __builtin_trap();
    }
  } catch (const trend::InputError&) {
  }
  return 0;
}
