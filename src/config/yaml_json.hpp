// A YAML document as JSON (the API serves configs as JSON; JSON is YAML, so one parser reads
// both). Scalars become numbers, booleans and nulls where they read as such; quoted ones stay
// strings.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace trend {

nlohmann::json YamlToJson(const YAML::Node& node);
// null when the text is not YAML.
nlohmann::json YamlTextToJson(const std::string& text);

}  // namespace trend
