// File exports of an analysis in export.formats: csv, json, txt and a formatted xlsx workbook
// (spec §11). Files are <directory>/<filename>_<table>.<ext>, the workbook <filename>.xlsx.
#pragma once

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

// Returns the paths written. Throws InputError when the directory cannot be written.
std::vector<std::string> WriteExports(const AnalysisResult& result,
                                      const AnalysisSettings& settings,
                                      const ExportSettings& exports);

}  // namespace trend
