// The report an analyst hands on (trend report, and the html/pdf downloads of trend app): one
// self-contained HTML file, charts as inline SVG and no script, that opens offline and prints
// to PDF as it looks. Summary, parameters, charts, tables, the multi-period sections and the
// caveats that apply (warnings, and the differences from the reference the config touches).
#pragma once

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

struct ReportContext {
  std::string title = "Trend analysis";
  std::string dataset;      // the returns file's name
  std::string config_name;  // the config file's name
  std::string config_text;  // printed as given
  std::string generated;    // when, as text
  std::vector<std::string> warnings;
};

std::string HtmlReport(const AnalysisResult& result, const AnalysisSettings& settings,
                       const ReportContext& context);
std::string HtmlReport(const MultiPeriodResult& result, const AnalysisSettings& settings,
                       const ReportContext& context);

}  // namespace trend
