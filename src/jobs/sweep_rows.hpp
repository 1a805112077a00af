// A sweep split over workers: trend.sweep_chunk runs configurations [first, first + count) of
// a grid and returns their rows as JSON; the client turns them back into SweepRows and writes
// them with the same code as a local sweep. Numbers travel as JSON's shortest round-trip
// decimal, NaN and infinities as strings, so a row is the same double for double.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config_loader.hpp"
#include "data/returns_frame.hpp"
#include "pipeline/run_guard.hpp"
#include "sweep/sweep.hpp"

namespace trend::jobs {

nlohmann::json SweepRowToJson(const SweepRow& row);
// Throws std::invalid_argument for a document that is not a row.
SweepRow SweepRowFromJson(const nlohmann::json& row);

struct SweepChunkInput {
  std::string config_text;  // the base config file's text
  std::string config_name;  // its path as the user gave it: messages name it as locally
  std::string grid_text;
  std::string grid_name;
  std::string base_dir;  // the config's folder, for the same resolution of relative paths
};

// Runs configurations [first, first + count) on one thread and returns {"rows": [...]}.
// Throws InputError for a config or grid that does not parse.
nlohmann::json RunSweepChunk(const ReturnsFrame& frame, const SweepChunkInput& input,
                             std::size_t first, std::size_t count, const WorkLimits& limits,
                             const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace trend::jobs
