// `trend ingest` (load files, globs or stdin into a database, once) and `trend ingest report`.
#pragma once

#include <string>

#include "ingest/loader.hpp"
#include "ingest/usage_report.hpp"

namespace trend {

struct IngestCommandOptions {
  ingest::IngestOptions load;
  std::string format = "combined";
  bool quiet = false;
  // report
  bool report = false;
  std::string since, until;
  bool json = false;
  ingest::UsageQuery query;
};

int IngestCommand(IngestCommandOptions& options);

}  // namespace trend
