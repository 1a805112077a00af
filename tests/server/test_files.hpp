// Shared by the server tests: the demo inputs as text, as an API client would send them.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace trend::testing {

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string DemoConfigYaml() {
  return ReadTextFile(std::string(TREND_SOURCE_DIR) + "/config/demo.yml");
}

inline std::string DemoReturnsCsv() {
  return ReadTextFile(std::string(TREND_SOURCE_DIR) + "/demo/demo_returns.csv");
}

}  // namespace trend::testing
