#include "config/sweep_grid.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "config/config_loader.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

using Copy = std::function<void(const AnalysisSettings&, AnalysisSettings&)>;

struct SweepField {
  const char* path;
  Copy copy;
};

// One member copied from the parsed settings into the configuration.
template <auto Member>
Copy Field() {
  return [](const AnalysisSettings& from, AnalysisSettings& to) { to.*Member = from.*Member; };
}
template <typename F>
Copy With(F&& f) {
  return Copy(std::forward<F>(f));
}

Copy MultiPeriodField(int MultiPeriodSettings::*member) {
  return [member](const AnalysisSettings& from, AnalysisSettings& to) {
    if (!to.multi_period) to.multi_period = from.multi_period;
    to.multi_period.value().*member = from.multi_period.value().*member;
  };
}

// The keys a grid may vary: the analysis settings, not the data loading (the returns are read
// and prepared once for the whole sweep).
const std::vector<SweepField>& Fields() {
  using A = AnalysisSettings;
  static const std::vector<SweepField> kFields = {
      {"seed", Field<&A::seed>()},
      {"run.monthly_cost", Field<&A::monthly_cost>()},
      {"vol_adjust.enabled",
       With([](const A& f, A& t) { t.vol_adjust.enabled = f.vol_adjust.enabled; })},
      {"vol_adjust.target_vol",
       With([](const A& f, A& t) { t.vol_adjust.target_vol = f.vol_adjust.target_vol; })},
      {"vol_adjust.floor_vol",
       With([](const A& f, A& t) { t.vol_adjust.floor_vol = f.vol_adjust.floor_vol; })},
      {"vol_adjust.warmup_periods",
       With([](const A& f, A& t) { t.vol_adjust.warmup_periods = f.vol_adjust.warmup_periods; })},
      {"vol_adjust.window.length",
       With([](const A& f, A& t) { t.vol_adjust.window_length = f.vol_adjust.window_length; })},
      {"vol_adjust.window.decay",
       With([](const A& f, A& t) { t.vol_adjust.decay = f.vol_adjust.decay; })},
      {"sample_split.in_start",
       With([](const A& f, A& t) { t.sample_split.in_start = f.sample_split.in_start; })},
      {"sample_split.in_end",
       With([](const A& f, A& t) { t.sample_split.in_end = f.sample_split.in_end; })},
      {"sample_split.out_start",
       With([](const A& f, A& t) { t.sample_split.out_start = f.sample_split.out_start; })},
      {"sample_split.out_end",
       With([](const A& f, A& t) { t.sample_split.out_end = f.sample_split.out_end; })},
      {"portfolio.selection_mode",
       With([](const A& f, A& t) { t.portfolio.selection_mode = f.portfolio.selection_mode; })},
      {"portfolio.random_n",
       With([](const A& f, A& t) { t.portfolio.random_n = f.portfolio.random_n; })},
      {"portfolio.weighting_scheme",
       With([](const A& f, A& t) { t.portfolio.weighting_scheme = f.portfolio.weighting_scheme; })},
      {"portfolio.rank.inclusion_approach", With([](const A& f, A& t) {
         t.portfolio.rank.inclusion_approach = f.portfolio.rank.inclusion_approach;
       })},
      {"portfolio.rank.n", With([](const A& f, A& t) { t.portfolio.rank.n = f.portfolio.rank.n; })},
      {"portfolio.rank.pct",
       With([](const A& f, A& t) { t.portfolio.rank.pct = f.portfolio.rank.pct; })},
      {"portfolio.rank.threshold",
       With([](const A& f, A& t) { t.portfolio.rank.threshold = f.portfolio.rank.threshold; })},
      {"portfolio.rank.score_by", With([](const A& f, A& t) {
         t.portfolio.rank.score_by = f.portfolio.rank.score_by;
         t.portfolio.rank.blended_weights = f.portfolio.rank.blended_weights;
       })},
      {"portfolio.rank.transform",
       With([](const A& f, A& t) { t.portfolio.rank.transform = f.portfolio.rank.transform; })},
      {"portfolio.constraints.max_weight", With([](const A& f, A& t) {
         t.portfolio.constraints.max_weight = f.portfolio.constraints.max_weight;
       })},
      {"portfolio.constraints.max_funds", With([](const A& f, A& t) {
         t.portfolio.constraints.max_funds = f.portfolio.constraints.max_funds;
       })},
      {"portfolio.constraints.min_weight", With([](const A& f, A& t) {
         t.portfolio.constraints.min_weight = f.portfolio.constraints.min_weight;
       })},
      {"portfolio.max_turnover",
       With([](const A& f, A& t) { t.portfolio.max_turnover = f.portfolio.max_turnover; })},
      {"portfolio.lambda_tc",
       With([](const A& f, A& t) { t.portfolio.lambda_tc = f.portfolio.lambda_tc; })},
      {"portfolio.transaction_cost_bps", With([](const A& f, A& t) {
         t.portfolio.transaction_cost_bps = f.portfolio.transaction_cost_bps;
       })},
      {"portfolio.policy", With([](const A& f, A& t) { t.portfolio.policy = f.portfolio.policy; })},
      {"portfolio.threshold_hold.target_n", With([](const A& f, A& t) {
         t.portfolio.threshold_hold.target_n = f.portfolio.threshold_hold.target_n;
       })},
      {"portfolio.threshold_hold.z_exit_soft", With([](const A& f, A& t) {
         t.portfolio.threshold_hold.z_exit_soft = f.portfolio.threshold_hold.z_exit_soft;
       })},
      {"portfolio.threshold_hold.z_entry_soft", With([](const A& f, A& t) {
         t.portfolio.threshold_hold.z_entry_soft = f.portfolio.threshold_hold.z_entry_soft;
       })},
      {"portfolio.threshold_hold.soft_strikes", With([](const A& f, A& t) {
         t.portfolio.threshold_hold.soft_strikes = f.portfolio.threshold_hold.soft_strikes;
       })},
      {"portfolio.weighting.name",
       With([](const A& f, A& t) { t.portfolio.weighting.name = f.portfolio.weighting.name; })},
      {"multi_period.in_sample_len", MultiPeriodField(&MultiPeriodSettings::in_sample_len)},
      {"multi_period.out_sample_len", MultiPeriodField(&MultiPeriodSettings::out_sample_len)},
      {"multi_period.frequency", With([](const A& f, A& t) {
         if (!t.multi_period) t.multi_period = f.multi_period;
         t.multi_period->frequency = f.multi_period->frequency;
       })},
  };
  return kFields;
}

std::string Location(const std::string& source, const YAML::Node& node) {
  return node.Mark().line >= 0 ? fmt::format("{} line {}", source, node.Mark().line + 1) : source;
}

// Sets `path` (dotted) in a copy of `root` to `value`, creating mappings on the way.
YAML::Node WithValue(const YAML::Node& root, const std::string& path, const YAML::Node& value) {
  YAML::Node copy = YAML::Clone(root);
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::vector<YAML::Node> chain = {copy};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = YAML::Clone(value);
  return copy;
}

std::string Label(const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

YAML::Node LoadYaml(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw InputError(fmt::format("{}: cannot read the file", path));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{} line {}, column {}: malformed YAML: {}", path, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
}

}  // namespace

std::size_t SweepGrid::size() const {
  std::size_t n = 1;
  for (const auto& axis : axes) n *= axis.values.size();
  return n;
}

std::vector<std::size_t> SweepGrid::Coordinates(std::size_t index) const {
  std::vector<std::size_t> at(axes.size());
  for (std::size_t k = axes.size(); k-- > 0;) {
    at[k] = index % axes[k].values.size();
    index /= axes[k].values.size();
  }
  return at;
}

std::vector<std::string> SweepableKeys() {
  std::vector<std::string> keys;
  for (const auto& f : Fields()) keys.emplace_back(f.path);
  return keys;
}

SweepGrid LoadSweepGrid(const std::string& grid_path, const std::string& base_path) {
  const YAML::Node grid = LoadYaml(grid_path);
  if (!grid.IsMap() || grid.size() == 0) {
    throw InputError(fmt::format(
        "{}: expected a mapping of config keys to lists, e.g. 'portfolio.rank.n: [5, 10, 20]'",
        grid_path));
  }
  const YAML::Node base = LoadYaml(base_path);
  const std::string base_dir = std::filesystem::path(base_path).parent_path().string();
  SweepGrid out;
  for (const auto& item : grid) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& values = item.second;
    const std::string where = Location(grid_path, item.first);
    if (key == "mode") {
      const std::string mode = values.IsScalar() ? values.Scalar() : "";
      if (mode != "multi_period" && mode != "single_period" && mode != "single") {
        throw InputError(
            fmt::format("{}: mode = '{}': expected single_period or multi_period", where, mode));
      }
      out.multi_period = mode == "multi_period";
      continue;
    }
    if (!IsConfigKey(key)) {
      throw InputError(fmt::format("{}: unknown config key '{}'", where, key));
    }
    const auto field = std::find_if(Fields().begin(), Fields().end(),
                                    [&](const SweepField& f) { return key == f.path; });
    if (field == Fields().end()) {
      throw InputError(fmt::format(
          "{}: '{}' cannot be swept (the returns are loaded once per sweep); sweepable keys: {}",
          where, key, fmt::join(SweepableKeys(), ", ")));
    }
    if (!values.IsSequence()) {
      throw InputError(
          fmt::format("{}: {}: expected a list of values, e.g. [5, 10, 20]", where, key));
    }
    if (values.size() == 0) {
      throw InputError(
          fmt::format("{}: {}: the list is empty; give at least one value", where, key));
    }
    if (std::any_of(out.axes.begin(), out.axes.end(),
                    [&](const auto& a) { return a.key == key; })) {
      throw InputError(fmt::format("{}: {} is listed twice", where, key));
    }
    SweepAxis axis;
    axis.key = key;
    axis.copy = field->copy;
    for (const auto& value : values) {
      SweepValue v;
      v.label = Label(value);
      try {
        // The base file parsed cleanly, so a problem now is this value's: name the grid file.
        v.parsed = ParseConfigTree(WithValue(base, key, value), grid_path, base_dir).settings;
      } catch (const InputError& e) {
        v.error = e.what();
      }
      axis.values.push_back(std::move(v));
    }
    out.axes.push_back(std::move(axis));
  }
  if (out.axes.empty()) {
    throw InputError(fmt::format("{}: no config key to vary (only 'mode' was given)", grid_path));
  }
  return out;
}

}  // namespace trend
