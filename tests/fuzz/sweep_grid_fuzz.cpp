// The sweep grid parser on arbitrary YAML over the demo config: a grid whose every
// configuration can be set up (or reports its invalid value), or a located ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_loader.hpp"
#include "config/sweep_grid.hpp"
#include "error/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const trend::LoadedConfig base =
      trend::ParseConfig("portfolio: {selection_mode: rank}\n", "base.yml", "");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const trend::SweepGrid grid = trend::ParseSweepGrid(text, "grid.yml", base, "");
    // Set up the first and last few configurations, as a sweep would.
    const std::size_t n = grid.size();
    for (std::size_t i = 0; i < n && i < 4; ++i) {
      for (const std::size_t index : {i, n - 1 - i}) {
        trend::AnalysisSettings settings = base.settings;
        std::string error;
        (void)grid.Configure(index, settings, error);
      }
    }
  } catch (const trend::InputError&) {
  }
  return 0;
}
