#include "config/sweep_grid.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/config_loader.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

std::string Location(const std::string& source, const YAML::Node& node) {
  return node.Mark().line >= 0 ? fmt::format("{} line {}", source, node.Mark().line + 1) : source;
}

std::string Label(const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

std::string ReadGridFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the file", path));
  return {std::istreambuf_iterator<char>(in), {}};
}

SweepGrid ParseGridTree(const YAML::Node& grid, const std::string& grid_path,
                        const LoadedConfig& base, const std::string& base_dir);

}  // namespace

// Beyond this a grid is a mistake (and the product would soon overflow).
constexpr std::size_t kMaxConfigurations = 1'000'000'000;

std::size_t SweepGrid::size() const {
  std::size_t n = 1;
  for (const auto& axis : axes) n *= axis.values.size();
  return n;
}

bool SweepGrid::LacksSchedule(const AnalysisSettings& base) const {
  if (!multi_period || base.multi_period) return false;
  for (const auto& axis : axes) {
    if (axis.key.rfind("multi_period.", 0) == 0) return false;
  }
  return true;
}

std::vector<std::size_t> SweepGrid::Coordinates(std::size_t index) const {
  std::vector<std::size_t> at(axes.size());
  for (std::size_t k = axes.size(); k-- > 0;) {
    at[k] = index % axes[k].values.size();
    index /= axes[k].values.size();
  }
  return at;
}

bool SweepGrid::Configure(std::size_t index, AnalysisSettings& settings, std::string& error) const {
  const std::vector<std::size_t> at = Coordinates(index);
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const SweepValue& v = axes[k].values[at[k]];
    if (!v.value) {
      error = v.error;
      return false;
    }
    axes[k].spec->apply(*v.value, settings);
  }
  return true;
}

std::vector<std::string> SweepableKeys() {
  std::vector<std::string> keys;
  for (const auto& spec : ConfigSchema()) {
    if (spec.sweepable) keys.emplace_back(spec.path);
  }
  return keys;
}

SweepGrid LoadSweepGrid(const std::string& grid_path, const std::string& base_path) {
  const std::string text = ReadGridFile(grid_path);
  const std::string base_dir = std::filesystem::path(base_path).parent_path().string();
  return ParseSweepGrid(text, grid_path, LoadConfigFile(base_path), base_dir);
}

SweepGrid ParseSweepGrid(std::string_view grid_text, const std::string& grid_path,
                         const LoadedConfig& base, const std::string& base_dir) {
  try {
    return ParseGridTree(YAML::Load(std::string(grid_text)), grid_path, base, base_dir);
  } catch (const YAML::Exception& e) {
    // Malformed YAML, or a key or value of the wrong shape (a mapping used as a key).
    throw MalformedYaml(e, grid_path);
  }
}

namespace {

SweepGrid ParseGridTree(const YAML::Node& grid, const std::string& grid_path,
                        const LoadedConfig& base, const std::string& base_dir) {
  if (!grid.IsMap() || grid.size() == 0) {
    throw ConfigError(fmt::format(
        "{}: expected a mapping of config keys to lists, e.g. 'portfolio.rank.n: [5, 10, 20]'",
        grid_path));
  }
  SweepGrid out;
  out.given = base.given;
  for (const auto& item : grid) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& values = item.second;
    const std::string where = Location(grid_path, item.first);
    if (key == "mode") {
      const std::string mode = values.IsScalar() ? values.Scalar() : "";
      if (mode != "multi_period" && mode != "single_period" && mode != "single") {
        throw ConfigError(
            fmt::format("{}: mode = '{}': expected single_period or multi_period", where, mode));
      }
      out.multi_period = mode == "multi_period";
      continue;
    }
    if (!IsConfigKey(key)) {
      const std::string suggestion = SuggestConfigKey(key);
      throw ConfigError(fmt::format(
          "{}: unknown config key '{}'{}", where, key,
          suggestion.empty() ? std::string() : fmt::format("; did you mean '{}'?", suggestion)));
    }
    const KeySpec* spec = FindConfigKey(key);
    if (!spec->sweepable) {
      throw ConfigError(fmt::format(
          "{}: '{}' cannot be swept (the returns are loaded once per sweep); sweepable keys: {}",
          where, key, fmt::join(SweepableKeys(), ", ")));
    }
    if (!values.IsSequence()) {
      throw ConfigError(
          fmt::format("{}: {}: expected a list of values, e.g. [5, 10, 20]", where, key));
    }
    if (values.size() == 0) {
      throw ConfigError(
          fmt::format("{}: {}: the list is empty; give at least one value", where, key));
    }
    if (std::any_of(out.axes.begin(), out.axes.end(),
                    [&](const auto& a) { return a.key == key; })) {
      throw ConfigError(fmt::format("{}: {} is listed twice", where, key));
    }
    SweepAxis axis;
    axis.key = key;
    axis.spec = spec;
    for (const auto& value : values) {
      SweepValue v;
      v.label = Label(value);
      try {
        v.value = DecodeConfigValue(*spec, Label(value), Location(grid_path, value), base_dir);
      } catch (const InputError& e) {
        v.error = e.what();
      }
      axis.values.push_back(std::move(v));
    }
    out.given[key] = where;
    out.axes.push_back(std::move(axis));
    if (out.size() > kMaxConfigurations) {
      throw ConfigError(
          fmt::format("{}: the grid has more than {} configurations; split it "
                      "with --first/--count or shorten the lists",
                      where, kMaxConfigurations));
    }
  }
  if (out.axes.empty()) {
    throw ConfigError(fmt::format("{}: no config key to vary (only 'mode' was given)", grid_path));
  }
  return out;
}

}  // namespace

}  // namespace trend
