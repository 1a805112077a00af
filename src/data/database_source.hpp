// Returns read from the database `trend ingest --format returns` loads (config data.source):
// the same wide panel the equivalent CSV gives. Funds are columns in the order the feed first
// named them, dates ascending, missing values NaN.
#pragma once

#include <string>

#include "data/returns_frame.hpp"

namespace trend {

struct DatabaseSource {
  std::string url;  // sqlite:///abs/path.db, sqlite://relative.db or postgresql://...
  std::string table = "returns";
  std::string stream = "returns";
};

// InputError naming the database for an unreachable database, a bad table name, an empty
// stream, or a (date, fund) that several sources give different values for.
ReturnsFrame LoadReturnsDatabase(const DatabaseSource& source);

}  // namespace trend
