// Reads a YAML config in the reference's schema into AnalysisSettings, driven by the schema
// table (config/schema.hpp). Invalid values are a ConfigError naming the file, line, key, value
// and what was expected; unknown keys, keys with no effect and values the reference replaces
// are warnings naming the key and line.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.hpp"
#include "config/settings.hpp"
#include "error/input_error.hpp"

namespace trend {

struct LoadedConfig {
  AnalysisSettings settings;
  // Problems found while reading: unknown keys (with a suggestion) and values the reference
  // substitutes. e.g. "config.yml line 4: unknown key 'data.colour' (ignored)"
  std::vector<std::string> warnings;
  // Every key the file gives a non-null value, with its location ("config.yml line 7").
  std::map<std::string, std::string> given;
};

// `base_dir` resolves relative paths (data.csv_path) as the reference does: against the folder
// holding the config file.
LoadedConfig ParseConfig(std::string_view yaml_text, std::string_view source,
                         const std::string& base_dir);

LoadedConfig LoadConfigFile(const std::string& path);

// Whether a dotted key path is part of the schema (e.g. "portfolio.rank.n").
bool IsConfigKey(const std::string& path);

// The reading warnings plus, for a run in `mode`, every given key that has no effect because
// of another key ("vol_adjust.target_vol has no effect: it needs vol_adjust.enabled: true"),
// and window checks (in-sample overlapping out-of-sample).
std::vector<std::string> ConfigWarnings(const LoadedConfig& config, RunMode mode);

// The no-effect and window warnings alone, for settings built from `given` keys (a sweep's
// configuration: the base file's keys plus the grid's).
std::vector<std::string> EffectWarnings(const AnalysisSettings& settings,
                                        const std::map<std::string, std::string>& given,
                                        RunMode mode);

// Decodes one value of `spec` the way a file's value is read (the sweep's grid values).
// Throws ConfigError naming `where` and the key.
ConfigValue DecodeConfigValue(const KeySpec& spec, const std::string& yaml_value,
                              const std::string& where, const std::string& base_dir);

}  // namespace trend

namespace YAML {
class Node;
class Exception;
}  // namespace YAML

namespace trend {

// The same as ParseConfig for an already loaded YAML tree (the sweep edits trees in memory).
LoadedConfig ParseConfigTree(const YAML::Node& root, std::string_view source,
                             const std::string& base_dir);

// The ConfigError for YAML that yaml-cpp could not load: "SOURCE line L, column C: malformed
// YAML: ..." (with the depth for nesting past yaml-cpp's limit, which it calls "bad file").
ConfigError MalformedYaml(const YAML::Exception& e, std::string_view source);

}  // namespace trend
