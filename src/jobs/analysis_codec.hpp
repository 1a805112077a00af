// A single-period AnalysisResult as bytes and back, exactly: how a worker returns one period
// of a distributed multi-period run to the client that combines them. Doubles travel as their
// bits, so the combined result is the one a local run computes. Client and workers must run
// the same build (their results are bit-identical anyway); the bytes start with a version.
#pragma once

#include <string>
#include <string_view>

#include "pipeline/analysis.hpp"

namespace trend::jobs {

std::string EncodeAnalysis(const AnalysisResult& result);
// Throws std::invalid_argument for bytes that are not an encoded result of this version.
AnalysisResult DecodeAnalysis(std::string_view bytes);

}  // namespace trend::jobs
