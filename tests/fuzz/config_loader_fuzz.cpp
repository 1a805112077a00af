// The config loader on arbitrary YAML: typed settings with warnings, or a located ConfigError.
// Deep nesting, anchors and aliases, duplicate keys, wrong types, huge numbers, bad UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.hpp"
#include "error/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const trend::LoadedConfig config = trend::ParseConfig(text, "fuzz.yml", "");
    (void)trend::ConfigWarnings(config, trend::RunMode::kSinglePeriod);
    (void)trend::ConfigWarnings(config, trend::RunMode::kMultiPeriod);
  } catch (const trend::InputError&) {
  }
  return 0;
}
