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

// The field at a member path (e.g. portfolio -> rank -> n) copied from the parsed settings
// into the configuration.
template <auto... Members>
Copy Path() {
  return [](const AnalysisSettings& from, AnalysisSettings& to) {
    (to.*....*Members) = (from.*....*Members);
  };
}

// multi_period is optional: a key of it creates the section from the parsed settings.
template <typename Member>
Copy MultiPeriodField(Member MultiPeriodSettings::*member) {
  return [member](const AnalysisSettings& from, AnalysisSettings& to) {
    if (!to.multi_period) to.multi_period = from.multi_period;
    to.multi_period.value().*member = from.multi_period.value().*member;
  };
}

// The keys a grid may vary: the analysis settings, not the data loading (the returns are read
// and prepared once for the whole sweep).
const std::vector<SweepField>& Fields() {
  using A = AnalysisSettings;
  using P = PortfolioSettings;
  using V = VolAdjustSettings;
  using S = SampleSplitSettings;
  using R = RankSettings;
  using C = ConstraintSettings;
  using T = ThresholdHoldSettings;
  static const std::vector<SweepField> kFields = {
      {"seed", Path<&A::seed>()},
      {"run.monthly_cost", Path<&A::monthly_cost>()},
      {"vol_adjust.enabled", Path<&A::vol_adjust, &V::enabled>()},
      {"vol_adjust.target_vol", Path<&A::vol_adjust, &V::target_vol>()},
      {"vol_adjust.floor_vol", Path<&A::vol_adjust, &V::floor_vol>()},
      {"vol_adjust.warmup_periods", Path<&A::vol_adjust, &V::warmup_periods>()},
      {"vol_adjust.window.length", Path<&A::vol_adjust, &V::window_length>()},
      {"vol_adjust.window.decay", Path<&A::vol_adjust, &V::decay>()},
      {"sample_split.in_start", Path<&A::sample_split, &S::in_start>()},
      {"sample_split.in_end", Path<&A::sample_split, &S::in_end>()},
      {"sample_split.out_start", Path<&A::sample_split, &S::out_start>()},
      {"sample_split.out_end", Path<&A::sample_split, &S::out_end>()},
      {"portfolio.selection_mode", Path<&A::portfolio, &P::selection_mode>()},
      {"portfolio.random_n", Path<&A::portfolio, &P::random_n>()},
      {"portfolio.weighting_scheme", Path<&A::portfolio, &P::weighting_scheme>()},
      {"portfolio.rank.inclusion_approach",
       Path<&A::portfolio, &P::rank, &R::inclusion_approach>()},
      {"portfolio.rank.n", Path<&A::portfolio, &P::rank, &R::n>()},
      {"portfolio.rank.pct", Path<&A::portfolio, &P::rank, &R::pct>()},
      {"portfolio.rank.threshold", Path<&A::portfolio, &P::rank, &R::threshold>()},
      {"portfolio.rank.score_by",
       [](const A& f, A& t) {  // a blended score brings its weights
         Path<&A::portfolio, &P::rank, &R::score_by>()(f, t);
         Path<&A::portfolio, &P::rank, &R::blended_weights>()(f, t);
       }},
      {"portfolio.rank.transform", Path<&A::portfolio, &P::rank, &R::transform>()},
      {"portfolio.constraints.max_weight", Path<&A::portfolio, &P::constraints, &C::max_weight>()},
      {"portfolio.constraints.max_funds", Path<&A::portfolio, &P::constraints, &C::max_funds>()},
      {"portfolio.constraints.min_weight", Path<&A::portfolio, &P::constraints, &C::min_weight>()},
      {"portfolio.max_turnover", Path<&A::portfolio, &P::max_turnover>()},
      {"portfolio.lambda_tc", Path<&A::portfolio, &P::lambda_tc>()},
      {"portfolio.transaction_cost_bps", Path<&A::portfolio, &P::transaction_cost_bps>()},
      {"portfolio.policy", Path<&A::portfolio, &P::policy>()},
      {"portfolio.threshold_hold.target_n",
       Path<&A::portfolio, &P::threshold_hold, &T::target_n>()},
      {"portfolio.threshold_hold.z_exit_soft",
       Path<&A::portfolio, &P::threshold_hold, &T::z_exit_soft>()},
      {"portfolio.threshold_hold.z_entry_soft",
       Path<&A::portfolio, &P::threshold_hold, &T::z_entry_soft>()},
      {"portfolio.threshold_hold.soft_strikes",
       Path<&A::portfolio, &P::threshold_hold, &T::soft_strikes>()},
      {"portfolio.weighting.name",
       Path<&A::portfolio, &P::weighting, &HoldingsWeightingSettings::name>()},
      {"multi_period.in_sample_len", MultiPeriodField(&MultiPeriodSettings::in_sample_len)},
      {"multi_period.out_sample_len", MultiPeriodField(&MultiPeriodSettings::out_sample_len)},
      {"multi_period.frequency", MultiPeriodField(&MultiPeriodSettings::frequency)},
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
