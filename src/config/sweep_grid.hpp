// A parameter grid for `trend sweep`: GRID.yml maps config key paths to lists of values
// ("portfolio.rank.n: [5, 10, 20]") and may set "mode: multi_period". Every value is
// validated once, through the same config parser as the base file, into typed settings; a
// configuration of the grid is then the base settings with one value per key copied in.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "config/schema.hpp"
#include "config/settings.hpp"

namespace trend {

struct SweepValue {
  std::string label;                 // the value as written, e.g. "10" or "hrp"
  std::optional<ConfigValue> value;  // decoded by the key's schema row
  std::string error;                 // why the value is invalid (then no `value`)
};

struct SweepAxis {
  std::string key;  // dotted config path
  const KeySpec* spec = nullptr;
  std::vector<SweepValue> values;
};

struct SweepGrid {
  std::vector<SweepAxis> axes;
  bool multi_period = false;
  // The keys a configuration sets (the base file's and the grid's), with their locations, for
  // the per-row no-effect warnings.
  std::map<std::string, std::string> given;

  // The number of configurations (the product of the list lengths).
  std::size_t size() const;
  // The value index of each axis for configuration `index` (the last axis varies fastest).
  std::vector<std::size_t> Coordinates(std::size_t index) const;
  // The base settings with configuration `index`'s values set; false (and `error`) when one of
  // its values is invalid.
  bool Configure(std::size_t index, AnalysisSettings& settings, std::string& error) const;
  // A multi-period grid with no schedule to run: the base has no multi_period section and no
  // axis sets a multi_period key.
  bool LacksSchedule(const AnalysisSettings& base) const;
};

// Reads `grid_path` against the base config `base_path`. Throws InputError naming the grid
// file, line and key for an unknown key, a key that cannot be swept, an empty list or a value
// that is not a list. Invalid values inside a list are kept with their error, so the rows that
// use them are reported rather than stopping the sweep.
SweepGrid LoadSweepGrid(const std::string& grid_path, const std::string& base_path);
// The same from the grid's text; `grid_path` names it in messages, `base` is the base
// config and `base_dir` the directory its relative paths resolve against.
SweepGrid ParseSweepGrid(std::string_view grid_text, const std::string& grid_path,
                         const LoadedConfig& base, const std::string& base_dir);

// The keys a grid may vary, for messages and --help.
std::vector<std::string> SweepableKeys();

}  // namespace trend
