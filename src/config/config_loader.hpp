// Reads a YAML config file in the reference's schema into AnalysisSettings. Unknown keys are
// reported as warnings naming their path; invalid values are an InputError naming the file,
// line, key, value and what was expected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace trend {

struct LoadedConfig {
  AnalysisSettings settings;
  std::vector<std::string> warnings;  // e.g. "config.yml line 4: unknown key 'data.colour'"
};

// `base_dir` resolves relative paths (data.csv_path) as the reference does: against the folder
// holding the config file.
LoadedConfig ParseConfig(std::string_view yaml_text, std::string_view source,
                         const std::string& base_dir);

LoadedConfig LoadConfigFile(const std::string& path);

// Whether a dotted key path is part of the schema (e.g. "portfolio.rank.n").
bool IsConfigKey(const std::string& path);

}  // namespace trend

namespace YAML {
class Node;
}

namespace trend {

// The same as ParseConfig for an already loaded YAML tree (the sweep edits trees in memory).
LoadedConfig ParseConfigTree(const YAML::Node& root, std::string_view source,
                             const std::string& base_dir);

}  // namespace trend
