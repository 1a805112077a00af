// The full analysis result as JSON, with the same field names and meanings as the reference's
// single_period result (golden expected.json). NaN is written as null.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "pipeline/analysis.hpp"

namespace trend {

nlohmann::json AnalysisToJson(const AnalysisResult& result);
nlohmann::json StatsToJson(const Stats& stats);

std::string AnalysisToJsonText(const AnalysisResult& result, int indent = 2);

}  // namespace trend
