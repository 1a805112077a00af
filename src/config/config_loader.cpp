#include "config/config_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "error/input_error.hpp"

namespace trend {
namespace {

// Every key of the reference schema. A trailing ".*" accepts anything below that key; keys the
// reference reads but ignores are listed so they are accepted without a warning.
const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> kKeys = {
      "version",
      "seed",
      "jobs",
      "checkpoint_dir",
      "benchmarks.*",
      "performance.*",
      "output.*",
      "run.*",
      "export.*",
      "multi_period.*",
      // data
      "data",
      "data.csv_path",
      "data.date_column",
      "data.frequency",
      "data.timezone",
      "data.missing_policy.*",
      "data.missing_limit.*",
      "data.nan_policy.*",
      "data.nan_limit.*",
      "data.missing_policy",
      "data.missing_limit",
      "data.nan_policy",
      "data.nan_limit",
      "data.risk_free_column",
      "data.allow_risk_free_fallback",
      "data.universe_membership_path",
      "data.max_lag_days",
      "data.as_of",
      "data.managers_glob",
      "data.indices_glob",
      "data.price_column",
      "data.currency",
      "data.lookback_required",
      "data.missing_fill_limit",
      // preprocessing
      "preprocessing",
      "preprocessing.holiday_calendar",
      "preprocessing.missing_data",
      "preprocessing.missing_data.policy",
      "preprocessing.missing_data.limit",
      "preprocessing.missing_data.per_asset.*",
      "preprocessing.missing_data.per_asset_limit.*",
      "preprocessing.missing_data.per_asset",
      "preprocessing.missing_data.per_asset_limit",
      "preprocessing.de_duplicate",
      "preprocessing.winsorise.*",
      "preprocessing.log_prices",
      "preprocessing.resample.*",
      "preprocessing.steps.*",
      "preprocessing.winsorise",
      "preprocessing.resample",
      "preprocessing.steps",
      // vol_adjust
      "vol_adjust",
      "vol_adjust.enabled",
      "vol_adjust.target_vol",
      "vol_adjust.floor_vol",
      "vol_adjust.warmup_periods",
      "vol_adjust.window",
      "vol_adjust.window.length",
      "vol_adjust.window.decay",
      "vol_adjust.window.lambda",
      "vol_adjust.window.ewma_lambda",
      // sample_split
      "sample_split",
      "sample_split.in_start",
      "sample_split.in_end",
      "sample_split.out_start",
      "sample_split.out_end",
      "sample_split.method",
      "sample_split.date",
      "sample_split.ratio",
      "sample_split.rolling_walk.*",
      "sample_split.folds.*",
      "sample_split.rolling_walk",
      "sample_split.folds",
      // portfolio
      "portfolio",
      "portfolio.selection_mode",
      "portfolio.random_n",
      "portfolio.manual_list",
      "portfolio.manual_list.*",
      "portfolio.custom_weights",
      "portfolio.custom_weights.*",
      "portfolio.rank",
      "portfolio.rank.inclusion_approach",
      "portfolio.rank.n",
      "portfolio.rank.pct",
      "portfolio.rank.threshold",
      "portfolio.rank.score_by",
      "portfolio.rank.blended_weights",
      "portfolio.rank.blended_weights.*",
      "portfolio.rank.transform",
      "portfolio.rank.transform_mode",
      "portfolio.rank.zscore_window",
      "portfolio.rank.zscore_ddof",
      "portfolio.rank.rank_pct",
      "portfolio.rank.limit_one_per_firm",
      "portfolio.indices_list",
      "portfolio.indices_list.*",
      "portfolio.weighting_scheme",
      "portfolio.constraints",
      "portfolio.constraints.long_only",
      "portfolio.constraints.max_weight",
      "portfolio.constraints.group_caps",
      "portfolio.constraints.group_caps.*",
      "portfolio.constraints.groups",
      "portfolio.constraints.groups.*",
      "portfolio.constraints.max_funds",
      "portfolio.constraints.min_weight",
      "portfolio.constraints.min_weight_strikes",
      "portfolio.constraints.cash_weight",
      "portfolio.previous_weights",
      "portfolio.previous_weights.*",
      "portfolio.lambda_tc",
      "portfolio.max_turnover",
      "portfolio.weight_policy",
      "portfolio.weight_policy.mode",
      "portfolio.weight_policy.policy",
      "portfolio.weight_policy.min_assets",
      "portfolio.transaction_cost_bps",
      "portfolio.weighting.*",
      "portfolio.weighting",
      "portfolio.selector.*",
      "portfolio.selector",
      "portfolio.policy",
      "portfolio.threshold_hold.*",
      "portfolio.threshold_hold",
      "portfolio.rebalance_freq",
      "portfolio.rebalance_calendar",
      "portfolio.leverage_cap",
      "portfolio.cost_model.*",
      "portfolio.cost_model",
      "portfolio.robustness.*",
      "portfolio.robustness",
      "portfolio.turnover_cap",
      // regime
      "regime",
      "regime.enabled",
      "regime.proxy",
      "regime.method",
      "regime.lookback",
      "regime.smoothing",
      "regime.threshold",
      "regime.neutral_band",
      "regime.min_observations",
      "regime.risk_on_label",
      "regime.risk_off_label",
      "regime.default_label",
      "regime.cache",
      "regime.annualise_volatility",
      // metrics
      "metrics",
      "metrics.registry",
      "metrics.registry.*",
      "metrics.rf_rate_annual",
      "metrics.use_continuous",
      "metrics.alpha_reference",
      "metrics.compute",
      "metrics.compute.*",
      "metrics.bootstrap_ci",
      "metrics.bootstrap_ci.*",
      // signals
      "signals",
      "signals.window",
      "signals.min_periods",
      "signals.lag",
      "signals.vol_adjust",
      "signals.vol_target",
      "signals.zscore",
  };
  return kKeys;
}

bool IsKnown(const std::string& path) {
  const auto& keys = KnownKeys();
  if (keys.count(path) || keys.count(path + ".*")) return true;
  // An open section ("x.*") accepts every path below x.
  for (std::size_t dot = path.rfind('.'); dot != std::string::npos;
       dot = dot == 0 ? std::string::npos : path.rfind('.', dot - 1)) {
    if (keys.count(path.substr(0, dot) + ".*")) return true;
    if (dot == 0) break;
  }
  return false;
}

bool HasOpenSection(const std::string& path) {
  return KnownKeys().count(path + ".*") > 0;
}

std::string Canonical(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kAliases = {
      {"annual_return", "AnnualReturn"},
      {"volatility", "Volatility"},
      {"sharpe_ratio", "Sharpe"},
      {"sharpe", "Sharpe"},
      {"sortino_ratio", "Sortino"},
      {"max_drawdown", "MaxDrawdown"},
      {"information_ratio", "InformationRatio"},
      {"avg_corr", "AvgCorr"}};
  const auto it = kAliases.find(name);
  return it == kAliases.end() ? std::string(name) : it->second;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  std::vector<std::string>& warnings() { return warnings_; }

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    const int line = node.Mark().line;
    const std::string where = line >= 0 ? fmt::format("{} line {}", source_, line + 1) : source_;
    std::string shown;
    if (node.IsScalar()) {
      shown = fmt::format(" = '{}'", node.Scalar());
    } else if (node.IsSequence()) {
      shown = " (a list)";
    } else if (node.IsMap()) {
      shown = " (a mapping)";
    }
    throw InputError(fmt::format("{}: {}{}: {}", where, path, shown, what));
  }

  void WarnUnknown(const YAML::Node& node, const std::string& prefix) {
    if (!node.IsMap()) return;
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (!IsKnown(path)) {
        warnings_.push_back(fmt::format("{} line {}: unknown key '{}' (ignored)", source_,
                                        item.first.Mark().line + 1, path));
      } else if (!HasOpenSection(path)) {
        WarnUnknown(item.second, path);
      }
    }
  }

  static bool IsNull(const YAML::Node& node) { return !node || node.IsNull(); }

  double Number(const YAML::Node& node, const std::string& path) const {
    double value = 0.0;
    if (node.IsScalar() && YAML::convert<double>::decode(node, value) && !std::isnan(value)) {
      return value;
    }
    Fail(node, path, "expected a number");
  }

  int Integer(const YAML::Node& node, const std::string& path) const {
    const double value = Number(node, path);
    if (value != std::floor(value) || std::abs(value) > 1e9)
      Fail(node, path, "expected an integer");
    return static_cast<int>(value);
  }

  bool Bool(const YAML::Node& node, const std::string& path) const {
    bool value = false;
    if (node.IsScalar() && YAML::convert<bool>::decode(node, value)) return value;
    Fail(node, path, "expected true or false");
  }

  std::string String(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) return node.Scalar();
    Fail(node, path, "expected a string");
  }

  std::vector<std::string> StringList(const YAML::Node& node, const std::string& path) const {
    std::vector<std::string> out;
    if (IsNull(node)) return out;
    if (!node.IsSequence()) Fail(node, path, "expected a list of names");
    for (std::size_t i = 0; i < node.size(); ++i) {
      out.push_back(String(node[i], fmt::format("{}[{}]", path, i)));
    }
    return out;
  }

  NamedValues NumberMap(const YAML::Node& node, const std::string& path) const {
    NamedValues out;
    if (!node.IsMap()) Fail(node, path, "expected a mapping of name: number");
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      out.emplace_back(key, Number(item.second, path + "." + key));
    }
    return out;
  }

  // Reads node[key] if present and not null.
  template <typename F>
  void Optional(const YAML::Node& parent, const char* key, const std::string& prefix, F&& read) {
    if (!parent.IsMap()) return;
    const YAML::Node node = parent[key];
    if (IsNull(node)) return;
    read(node, prefix.empty() ? std::string(key) : prefix + "." + key);
  }

  YAML::Node Section(const YAML::Node& root, const char* key) const {
    const YAML::Node node = root[key];
    if (IsNull(node)) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) Fail(node, key, "expected a mapping");
    return node;
  }

 private:
  std::string source_;
  std::vector<std::string> warnings_;
};

MissingPolicyKind ParsePolicyName(const Reader& r, const YAML::Node& node,
                                  const std::string& path) {
  std::string name = r.String(node, path);
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  if (name.empty() || name == "drop" || name == "none") return MissingPolicyKind::kDrop;
  if (name == "ffill" || name == "both" || name == "bfill" || name == "backfill") {
    return MissingPolicyKind::kFfill;
  }
  if (name == "zero" || name == "zeros" || name == "zero_fill" || name == "fillzero") {
    return MissingPolicyKind::kZero;
  }
  r.Fail(node, path, "expected one of drop, ffill, zero");
}

std::optional<int> ParseLimit(const Reader& r, const YAML::Node& node, const std::string& path) {
  if (Reader::IsNull(node)) return std::nullopt;
  const int limit = r.Integer(node, path);
  if (limit < 0) r.Fail(node, path, "expected a limit >= 0 or null");
  return limit;
}

// A policy is either a name or a mapping with a default key ("*" at load, "default" in
// preprocessing) and per-column entries.
void ParsePolicy(const Reader& r, const YAML::Node& policy_node, const std::string& policy_path,
                 const YAML::Node& limit_node, const std::string& limit_path, MissingPolicy& out) {
  if (!Reader::IsNull(policy_node)) {
    if (policy_node.IsMap()) {
      for (const auto& item : policy_node) {
        const std::string key = item.first.as<std::string>();
        const auto kind = ParsePolicyName(r, item.second, policy_path + "." + key);
        if (key == "*" || key == "default") {
          out.default_policy = kind;
        } else {
          out.per_column[key] = kind;
        }
      }
    } else {
      out.default_policy = ParsePolicyName(r, policy_node, policy_path);
    }
  }
  if (!Reader::IsNull(limit_node)) {
    if (limit_node.IsMap()) {
      for (const auto& item : limit_node) {
        const std::string key = item.first.as<std::string>();
        const auto limit = ParseLimit(r, item.second, limit_path + "." + key);
        if (key == "*" || key == "default") {
          out.default_limit = limit;
        } else {
          out.per_column_limit[key] = limit;
        }
      }
    } else {
      out.default_limit = ParseLimit(r, limit_node, limit_path);
    }
  }
}

// Month labels (YYYY-MM) give the first or last day of the month; full dates are taken as is.
Date ParseBound(const Reader& r, const YAML::Node& node, const std::string& path, bool is_end) {
  const std::string text = r.String(node, path);
  if (const auto month = ParseMonthLabel(text)) {
    return is_end ? MonthEndFromIndex(*month) : MonthStartFromIndex(*month);
  }
  if (const auto date = ParseDate(text)) return *date;
  r.Fail(node, path, "expected a month label YYYY-MM");
}

int ParseMonth(const Reader& r, const YAML::Node& node, const std::string& path) {
  const std::string text = r.String(node, path);
  if (const auto month = ParseMonthLabel(text)) return *month;
  if (const auto date = ParseDate(text)) return MonthIndex(*date);
  r.Fail(node, path, "expected a month label YYYY-MM");
}

void RequireRange(const Reader& r, const YAML::Node& node, const std::string& path, double value,
                  double lo, double hi, const char* expected) {
  if (value < lo || value > hi) r.Fail(node, path, expected);
}

void ParseData(Reader& r, const YAML::Node& root, const std::string& base_dir,
               AnalysisSettings& s) {
  const YAML::Node data = r.Section(root, "data");
  auto& d = s.data;
  r.Optional(data, "csv_path", "data", [&](const YAML::Node& n, const std::string& p) {
    std::filesystem::path path(r.String(n, p));
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    d.csv_path = path.lexically_normal().string();
  });
  r.Optional(data, "date_column", "data", [&](const YAML::Node& n, const std::string& p) {
    d.date_column = r.String(n, p);
    if (d.date_column.empty()) r.Fail(n, p, "expected a non-empty column name");
  });
  r.Optional(data, "frequency", "data", [&](const YAML::Node& n, const std::string& p) {
    std::string f = r.String(n, p);
    std::transform(f.begin(), f.end(), f.begin(), ::toupper);
    if (f != "D" && f != "W" && f != "M" && f != "ME") r.Fail(n, p, "expected one of D, W, M, ME");
    d.frequency = f;
  });
  const bool legacy = !Reader::IsNull(data["nan_policy"]) && Reader::IsNull(data["missing_policy"]);
  d.missing_policy_set = !Reader::IsNull(data["missing_policy"]) || legacy;
  d.missing_limit_set =
      !Reader::IsNull(data["missing_limit"]) || !Reader::IsNull(data["nan_limit"]);
  ParsePolicy(r, legacy ? data["nan_policy"] : data["missing_policy"],
              legacy ? "data.nan_policy" : "data.missing_policy",
              Reader::IsNull(data["missing_limit"]) ? data["nan_limit"] : data["missing_limit"],
              "data.missing_limit", d.load_missing);
  r.Optional(data, "risk_free_column", "data", [&](const YAML::Node& n, const std::string& p) {
    std::string name = r.String(n, p);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) d.risk_free_column = name;
  });
  r.Optional(data, "allow_risk_free_fallback", "data",
             [&](const YAML::Node& n, const std::string& p) {
               d.allow_risk_free_fallback = r.Bool(n, p);
             });
}

void ParsePreprocessing(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node pre = r.Section(root, "preprocessing");
  if (!pre["missing_data"]) return;
  const YAML::Node md = pre["missing_data"];
  if (Reader::IsNull(md)) return;
  if (!md.IsMap()) r.Fail(md, "preprocessing.missing_data", "expected a mapping");
  ParsePolicy(r, md["policy"], "preprocessing.missing_data.policy", md["limit"],
              "preprocessing.missing_data.limit", s.preprocessing_missing);
  ParsePolicy(r, md["per_asset"], "preprocessing.missing_data.per_asset", md["per_asset_limit"],
              "preprocessing.missing_data.per_asset_limit", s.preprocessing_missing);
}

void ParseVolAdjust(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node va = r.Section(root, "vol_adjust");
  auto& v = s.vol_adjust;
  r.Optional(va, "enabled", "vol_adjust",
             [&](const YAML::Node& n, const std::string& p) { v.enabled = r.Bool(n, p); });
  r.Optional(va, "target_vol", "vol_adjust", [&](const YAML::Node& n, const std::string& p) {
    v.target_vol = r.Number(n, p);
    if (!(v.target_vol > 0)) r.Fail(n, p, "expected a target volatility > 0");
  });
  r.Optional(va, "floor_vol", "vol_adjust", [&](const YAML::Node& n, const std::string& p) {
    v.floor_vol = r.Number(n, p);
    if (v.floor_vol < 0) r.Fail(n, p, "expected a volatility floor >= 0");
  });
  r.Optional(va, "warmup_periods", "vol_adjust", [&](const YAML::Node& n, const std::string& p) {
    v.warmup_periods = r.Integer(n, p);
    if (v.warmup_periods < 0) r.Fail(n, p, "expected a number of periods >= 0");
  });
  r.Optional(va, "window", "vol_adjust", [&](const YAML::Node& w, const std::string& wp) {
    if (!w.IsMap()) r.Fail(w, wp, "expected a mapping with length, decay, lambda");
    r.Optional(w, "length", wp, [&](const YAML::Node& n, const std::string& p) {
      const int length = r.Integer(n, p);
      if (length > 0) v.window_length = length;  // <= 0 means every in-sample row
    });
    r.Optional(w, "decay", wp, [&](const YAML::Node& n, const std::string& p) {
      std::string decay = r.String(n, p);
      std::transform(decay.begin(), decay.end(), decay.begin(), ::tolower);
      if (decay != "ewma" && decay != "simple") r.Fail(n, p, "expected simple or ewma");
      v.decay = decay == "ewma" ? VolDecay::kEwma : VolDecay::kSimple;
    });
    for (const char* key : {"lambda", "ewma_lambda"}) {
      r.Optional(w, key, wp, [&](const YAML::Node& n, const std::string& p) {
        v.ewma_lambda = r.Number(n, p);
        if (!(v.ewma_lambda > 0 && v.ewma_lambda < 1)) {
          r.Fail(n, p, "expected a decay factor strictly between 0 and 1");
        }
      });
    }
  });
}

void ParseSampleSplit(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node ss = r.Section(root, "sample_split");
  auto& sp = s.sample_split;
  const std::string prefix = "sample_split";
  r.Optional(ss, "in_start", prefix,
             [&](const auto& n, const auto& p) { sp.in_start = ParseBound(r, n, p, false); });
  r.Optional(ss, "in_end", prefix,
             [&](const auto& n, const auto& p) { sp.in_end = ParseBound(r, n, p, true); });
  r.Optional(ss, "out_start", prefix,
             [&](const auto& n, const auto& p) { sp.out_start = ParseBound(r, n, p, false); });
  r.Optional(ss, "out_end", prefix,
             [&](const auto& n, const auto& p) { sp.out_end = ParseBound(r, n, p, true); });
  r.Optional(ss, "method", prefix,
             [&](const auto& n, const auto& p) { sp.method = r.String(n, p); });
  r.Optional(ss, "date", prefix, [&](const auto& n, const auto& p) {
    const std::string text = r.String(n, p);
    if (auto m = ParseMonthLabel(text)) {
      sp.boundary_month = *m;
    } else if (auto d = ParseDate(text)) {
      sp.boundary_month = MonthIndex(*d);
    }
  });
  r.Optional(ss, "ratio", prefix, [&](const auto& n, const auto& p) {
    double ratio = 0.7;
    if (YAML::convert<double>::decode(n, ratio)) sp.ratio = ratio;
    (void)p;
  });
}

void ParseRank(Reader& r, const YAML::Node& rank, AnalysisSettings& s) {
  auto& k = s.portfolio.rank;
  const std::string prefix = "portfolio.rank";
  if (!rank.IsMap()) r.Fail(rank, prefix, "expected a mapping");
  r.Optional(rank, "inclusion_approach", prefix, [&](const auto& n, const auto& p) {
    k.inclusion_approach = r.String(n, p);
    if (k.inclusion_approach != "top_n" && k.inclusion_approach != "top_pct" &&
        k.inclusion_approach != "threshold") {
      r.Fail(n, p, "expected one of top_n, top_pct, threshold");
    }
  });
  r.Optional(rank, "n", prefix, [&](const auto& n, const auto& p) {
    k.n = r.Integer(n, p);
    if (*k.n < 1) r.Fail(n, p, "expected a number of funds >= 1");
  });
  r.Optional(rank, "pct", prefix, [&](const auto& n, const auto& p) {
    k.pct = r.Number(n, p);
    if (!(*k.pct > 0 && *k.pct <= 1)) r.Fail(n, p, "expected a fraction in (0, 1]");
  });
  r.Optional(rank, "threshold", prefix,
             [&](const auto& n, const auto& p) { k.threshold = r.Number(n, p); });
  r.Optional(rank, "score_by", prefix, [&](const auto& n, const auto& p) {
    k.score_by = r.String(n, p) == "blended" ? "blended" : Canonical(r.String(n, p));
  });
  r.Optional(rank, "blended_weights", prefix, [&](const auto& n, const auto& p) {
    for (auto& [name, w] : r.NumberMap(n, p)) {
      const std::string canonical = Canonical(name);
      auto it = std::find_if(k.blended_weights.begin(), k.blended_weights.end(),
                             [&](const auto& e) { return e.first == canonical; });
      if (it == k.blended_weights.end()) {
        k.blended_weights.emplace_back(canonical, w);
      } else {
        it->second += w;
      }
    }
  });
  for (const char* key : {"transform", "transform_mode"}) {
    r.Optional(rank, key, prefix, [&](const auto& n, const auto& p) {
      k.transform = r.String(n, p);
      if (k.transform != "raw" && k.transform != "rank" && k.transform != "percentile" &&
          k.transform != "zscore") {
        r.Fail(n, p, "expected one of raw, rank, percentile, zscore");
      }
    });
  }
  r.Optional(rank, "zscore_window", prefix,
             [&](const auto& n, const auto& p) { k.zscore_window = r.Integer(n, p); });
  r.Optional(rank, "zscore_ddof", prefix,
             [&](const auto& n, const auto& p) { k.zscore_ddof = r.Integer(n, p); });
  r.Optional(rank, "rank_pct", prefix,
             [&](const auto& n, const auto& p) { k.rank_pct = r.Number(n, p); });
  r.Optional(rank, "limit_one_per_firm", prefix,
             [&](const auto& n, const auto& p) { k.limit_one_per_firm = r.Bool(n, p); });
}

void ParseThresholdHold(Reader& r, const YAML::Node& t, const std::string& tp,
                        ThresholdHoldSettings& h) {
  if (!t.IsMap()) r.Fail(t, tp, "expected a mapping");
  const auto strikes = [&](int& field) {
    return [&](const auto& n, const auto& path) {
      field = r.Integer(n, path);
      if (field < 1) r.Fail(n, path, "expected an integer >= 1");
    };
  };
  r.Optional(t, "target_n", tp, [&](const auto& n, const auto& path) {
    h.target_n = r.Integer(n, path);
    if (*h.target_n < 1) r.Fail(n, path, "expected a number of funds >= 1");
  });
  r.Optional(t, "metric", tp,
             [&](const auto& n, const auto& path) { h.metric = r.String(n, path); });
  r.Optional(t, "z_exit_soft", tp,
             [&](const auto& n, const auto& path) { h.z_exit_soft = r.Number(n, path); });
  r.Optional(t, "z_exit_hard", tp,
             [&](const auto& n, const auto& path) { h.z_exit_hard = r.Number(n, path); });
  r.Optional(t, "z_entry_soft", tp,
             [&](const auto& n, const auto& path) { h.z_entry_soft = r.Number(n, path); });
  r.Optional(t, "z_entry_hard", tp,
             [&](const auto& n, const auto& path) { h.z_entry_hard = r.Number(n, path); });
  r.Optional(t, "soft_strikes", tp, strikes(h.soft_strikes));
  r.Optional(t, "entry_soft_strikes", tp, strikes(h.entry_soft_strikes));
  r.Optional(t, "entry_eligible_strikes", tp, [&](const auto& n, const auto& path) {
    h.entry_eligible_strikes = r.Integer(n, path);
    if (*h.entry_eligible_strikes < 1) r.Fail(n, path, "expected an integer >= 1");
  });
  r.Optional(t, "min_weight_strikes", tp, [&](const auto& n, const auto& path) {
    h.min_weight_strikes = r.Integer(n, path);
    if (*h.min_weight_strikes < 1) r.Fail(n, path, "expected an integer >= 1");
  });
}

void ParseHoldingsWeighting(Reader& r, const YAML::Node& w, const std::string& wp,
                            HoldingsWeightingSettings& h) {
  if (!w.IsMap()) r.Fail(w, wp, "expected a mapping with name and params");
  r.Optional(w, "name", wp, [&](const auto& n, const auto& path) {
    const std::string name = r.String(n, path);
    if (name == "equal" || name == "ew") {
      h.name = "equal";
    } else if (name == "score_prop" || name == "score_prop_simple") {
      h.name = "score_prop";
    } else if (name == "score_prop_bayes" || name == "bayes" || name == "score_bayes") {
      h.name = "score_prop_bayes";
    } else if (name == "adaptive_bayes" || name == "adaptive") {
      h.name = "adaptive_bayes";
    } else {
      r.Fail(n, path, "expected one of equal, score_prop, score_prop_bayes, adaptive_bayes");
    }
  });
  r.Optional(w, "params", wp, [&](const YAML::Node& params, const std::string& pp) {
    if (!params.IsMap()) r.Fail(params, pp, "expected a mapping");
    r.Optional(params, "column", pp,
               [&](const auto& n, const auto& path) { h.column = r.String(n, path); });
    r.Optional(params, "shrink_tau", pp, [&](const auto& n, const auto& path) {
      h.shrink_tau = r.Number(n, path);
      if (h.shrink_tau < 0) r.Fail(n, path, "expected a value >= 0");
    });
    r.Optional(params, "half_life", pp, [&](const auto& n, const auto& path) {
      h.half_life = r.Number(n, path);
      if (!(h.half_life > 0)) r.Fail(n, path, "expected a positive number of days");
    });
    r.Optional(params, "obs_sigma", pp, [&](const auto& n, const auto& path) {
      h.obs_sigma = r.Number(n, path);
      if (!(h.obs_sigma > 0)) r.Fail(n, path, "expected a positive number");
    });
    r.Optional(params, "max_w", pp, [&](const auto& n, const auto& path) {
      h.max_w = r.Number(n, path);
      RequireRange(r, n, path, *h.max_w, 0.0, 1.0, "expected a weight in (0, 1]");
    });
    r.Optional(params, "prior_tau", pp,
               [&](const auto& n, const auto& path) { h.prior_tau = r.Number(n, path); });
  });
}

void ParsePortfolio(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node pf = r.Section(root, "portfolio");
  auto& p = s.portfolio;
  const std::string prefix = "portfolio";
  r.Optional(pf, "selection_mode", prefix,
             [&](const auto& n, const auto& path) { p.selection_mode = r.String(n, path); });
  r.Optional(pf, "random_n", prefix, [&](const auto& n, const auto& path) {
    p.random_n = r.Integer(n, path);
    if (p.random_n < 1) r.Fail(n, path, "expected a number of funds >= 1");
  });
  r.Optional(pf, "manual_list", prefix,
             [&](const auto& n, const auto& path) { p.manual_list = r.StringList(n, path); });
  r.Optional(pf, "custom_weights", prefix,
             [&](const auto& n, const auto& path) { p.custom_weights = r.NumberMap(n, path); });
  r.Optional(pf, "rank", prefix, [&](const auto& n, const auto&) { ParseRank(r, n, s); });
  r.Optional(pf, "indices_list", prefix,
             [&](const auto& n, const auto& path) { p.indices_list = r.StringList(n, path); });
  r.Optional(pf, "weighting_scheme", prefix,
             [&](const auto& n, const auto& path) { p.weighting_scheme = r.String(n, path); });
  r.Optional(pf, "constraints", prefix, [&](const YAML::Node& c, const std::string& cp) {
    if (!c.IsMap()) r.Fail(c, cp, "expected a mapping");
    auto& k = p.constraints;
    r.Optional(c, "long_only", cp,
               [&](const auto& n, const auto& path) { k.long_only = r.Bool(n, path); });
    r.Optional(c, "max_weight", cp, [&](const auto& n, const auto& path) {
      k.max_weight = r.Number(n, path);
      if (!(*k.max_weight > 0 && *k.max_weight <= 1))
        r.Fail(n, path, "expected a weight in (0, 1]");
    });
    r.Optional(c, "group_caps", cp,
               [&](const auto& n, const auto& path) { k.group_caps = r.NumberMap(n, path); });
    r.Optional(c, "max_funds", cp, [&](const auto& n, const auto& path) {
      k.max_funds = r.Integer(n, path);
      if (k.max_funds < 1) r.Fail(n, path, "expected a number of funds >= 1");
    });
    r.Optional(c, "min_weight", cp, [&](const auto& n, const auto& path) {
      k.min_weight = r.Number(n, path);
      RequireRange(r, n, path, k.min_weight, 0.0, 1.0, "expected a weight in [0, 1]");
    });
    r.Optional(c, "min_weight_strikes", cp, [&](const auto& n, const auto& path) {
      k.min_weight_strikes = r.Integer(n, path);
      if (*k.min_weight_strikes < 1) r.Fail(n, path, "expected an integer >= 1");
    });
    r.Optional(c, "groups", cp, [&](const YAML::Node& n, const std::string& path) {
      if (!n.IsMap()) r.Fail(n, path, "expected a mapping of fund: group");
      for (const auto& item : n) {
        const std::string fund = item.first.as<std::string>();
        k.groups[fund] = r.String(item.second, path + "." + fund);
      }
    });
  });
  r.Optional(pf, "previous_weights", prefix,
             [&](const auto& n, const auto& path) { p.previous_weights = r.NumberMap(n, path); });
  r.Optional(pf, "lambda_tc", prefix, [&](const auto& n, const auto& path) {
    p.lambda_tc = r.Number(n, path);
    RequireRange(r, n, path, *p.lambda_tc, 0.0, 1.0, "expected a value in [0, 1]");
  });
  r.Optional(pf, "max_turnover", prefix, [&](const auto& n, const auto& path) {
    p.max_turnover = r.Number(n, path);
    RequireRange(r, n, path, *p.max_turnover, 0.0, 2.0, "expected a turnover in [0, 2]");
  });
  r.Optional(pf, "weight_policy", prefix, [&](const YAML::Node& w, const std::string& wp) {
    if (!w.IsMap()) r.Fail(w, wp, "expected a mapping with mode and min_assets");
    for (const char* key : {"policy", "mode"}) {
      r.Optional(w, key, wp, [&](const auto& n, const auto& path) {
        const std::string mode = r.String(n, path);
        if (mode == "drop")
          p.weight_policy.mode = WeightPolicyMode::kDrop;
        else if (mode == "carry")
          p.weight_policy.mode = WeightPolicyMode::kCarry;
        else if (mode == "cash")
          p.weight_policy.mode = WeightPolicyMode::kCash;
        else
          r.Fail(n, path, "expected one of drop, carry, cash");
      });
    }
    r.Optional(w, "min_assets", wp, [&](const auto& n, const auto& path) {
      p.weight_policy.min_assets = r.Integer(n, path);
    });
  });
  r.Optional(pf, "transaction_cost_bps", prefix, [&](const auto& n, const auto& path) {
    p.transaction_cost_bps = r.Number(n, path);
    if (p.transaction_cost_bps < 0) r.Fail(n, path, "expected a cost >= 0 basis points");
  });
  r.Optional(pf, "policy", prefix,
             [&](const auto& n, const auto& path) { p.policy = r.String(n, path); });
  r.Optional(pf, "threshold_hold", prefix, [&](const YAML::Node& t, const std::string& tp) {
    ParseThresholdHold(r, t, tp, p.threshold_hold);
  });
  r.Optional(pf, "weighting", prefix, [&](const YAML::Node& w, const std::string& wp) {
    ParseHoldingsWeighting(r, w, wp, p.weighting);
  });
  r.Optional(pf, "selector", prefix, [&](const YAML::Node& sel, const std::string& sp) {
    if (!sel.IsMap()) r.Fail(sel, sp, "expected a mapping with name and params");
    r.Optional(sel, "params", sp, [&](const YAML::Node& params, const std::string& pp) {
      if (!params.IsMap()) r.Fail(params, pp, "expected a mapping");
      r.Optional(params, "rank_column", pp, [&](const auto& n, const auto& path) {
        p.selector_rank_column = r.String(n, path);
      });
    });
  });
}

void ParseRegime(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node rg = r.Section(root, "regime");
  auto& g = s.regime;
  const std::string prefix = "regime";
  r.Optional(rg, "enabled", prefix,
             [&](const auto& n, const auto& p) { g.enabled = r.Bool(n, p); });
  r.Optional(rg, "proxy", prefix, [&](const auto& n, const auto& p) { g.proxy = r.String(n, p); });
  r.Optional(rg, "method", prefix, [&](const auto& n, const auto& p) {
    std::string m = r.String(n, p);
    if (m == "rolling" || m == "return" || m == "rolling_return")
      g.method = "rolling_return";
    else if (m == "volatility" || m == "vol" || m == "std")
      g.method = "volatility";
    else
      r.Fail(n, p, "expected rolling_return or volatility");
  });
  auto positive_int = [&](int& field) {
    return [&](const auto& n, const auto& p) {
      field = r.Integer(n, p);
      if (field < 1) r.Fail(n, p, "expected an integer >= 1");
    };
  };
  r.Optional(rg, "lookback", prefix, positive_int(g.lookback));
  r.Optional(rg, "smoothing", prefix, positive_int(g.smoothing));
  r.Optional(rg, "min_observations", prefix,
             [&](const auto& n, const auto& p) { g.min_observations = r.Integer(n, p); });
  r.Optional(rg, "threshold", prefix,
             [&](const auto& n, const auto& p) { g.threshold = r.Number(n, p); });
  r.Optional(rg, "neutral_band", prefix,
             [&](const auto& n, const auto& p) { g.neutral_band = std::abs(r.Number(n, p)); });
  r.Optional(rg, "risk_on_label", prefix,
             [&](const auto& n, const auto& p) { g.risk_on_label = r.String(n, p); });
  r.Optional(rg, "risk_off_label", prefix,
             [&](const auto& n, const auto& p) { g.risk_off_label = r.String(n, p); });
  r.Optional(rg, "default_label", prefix,
             [&](const auto& n, const auto& p) { g.default_label = r.String(n, p); });
  r.Optional(rg, "annualise_volatility", prefix,
             [&](const auto& n, const auto& p) { g.annualise_volatility = r.Bool(n, p); });
}

void ParseMetrics(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node m = r.Section(root, "metrics");
  s.metrics = DefaultScoreMetrics();
  r.Optional(m, "registry", "metrics", [&](const auto& n, const auto& p) {
    auto names = r.StringList(n, p);
    if (names.empty()) return;
    s.metrics.clear();
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string canonical = Canonical(names[i]);
      const auto& known = DefaultScoreMetrics();
      if (std::find(known.begin(), known.end(), canonical) == known.end() &&
          canonical != "AvgCorr") {
        r.Fail(n[i], fmt::format("{}[{}]", p, i),
               "unknown metric; expected one of annual_return, volatility, sharpe_ratio, "
               "sortino_ratio, max_drawdown, information_ratio, avg_corr");
      }
      s.metrics.push_back(canonical);
    }
  });
}

void ParseSignals(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node sg = r.Section(root, "signals");
  auto& g = s.signals;
  const std::string prefix = "signals";
  r.Optional(sg, "window", prefix, [&](const auto& n, const auto& p) {
    g.window = r.Integer(n, p);
    if (*g.window < 1) r.Fail(n, p, "expected a window >= 1");
  });
  r.Optional(sg, "min_periods", prefix,
             [&](const auto& n, const auto& p) { g.min_periods = r.Integer(n, p); });
  r.Optional(sg, "lag", prefix, [&](const auto& n, const auto& p) {
    g.lag = r.Integer(n, p);
    if (g.lag < 1) r.Fail(n, p, "expected a lag >= 1");
  });
  r.Optional(sg, "vol_adjust", prefix,
             [&](const auto& n, const auto& p) { g.vol_adjust = r.Bool(n, p); });
  r.Optional(sg, "vol_target", prefix,
             [&](const auto& n, const auto& p) { g.vol_target = r.Number(n, p); });
  r.Optional(sg, "zscore", prefix, [&](const auto& n, const auto& p) { g.zscore = r.Bool(n, p); });
}

void ParseExport(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node ex = r.Section(root, "export");
  auto& e = s.export_settings;
  auto add_format = [&](std::string f) {
    std::transform(f.begin(), f.end(), f.begin(), ::tolower);
    if (f == "excel") f = "xlsx";
    if (std::find(e.formats.begin(), e.formats.end(), f) == e.formats.end()) e.formats.push_back(f);
  };
  bool has_directory = false;
  r.Optional(ex, "directory", "export", [&](const auto& n, const auto& p) {
    e.directory = r.String(n, p);
    has_directory = true;
  });
  r.Optional(ex, "filename", "export",
             [&](const auto& n, const auto& p) { e.filename = r.String(n, p); });
  r.Optional(ex, "formats", "export", [&](const auto& n, const auto& p) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      std::string f = r.String(n[i], fmt::format("{}[{}]", p, i));
      std::string lower = f;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower != "csv" && lower != "json" && lower != "xlsx" && lower != "excel" &&
          lower != "txt") {
        r.Fail(n[i], fmt::format("{}[{}]", p, i), "expected one of csv, json, xlsx, txt");
      }
      add_format(f);
    }
  });
  const YAML::Node out = root["output"];
  if (out && out.IsMap()) {
    r.Optional(out, "format", "output",
               [&](const auto& n, const auto& p) { add_format(r.String(n, p)); });
    r.Optional(out, "path", "output", [&](const auto& n, const auto& p) {
      const std::filesystem::path path(r.String(n, p));
      if (!has_directory && path.has_parent_path()) e.directory = path.parent_path().string();
      if (!ex["filename"]) e.filename = path.stem().string();
    });
  }
  if (e.formats.empty()) e.formats.push_back("xlsx");
  std::filesystem::path dir(e.directory);
  // Export paths are relative to the working directory, as in the reference.
  e.directory = dir.lexically_normal().string();
}

void ParseMultiPeriod(Reader& r, const YAML::Node& root, AnalysisSettings& s) {
  const YAML::Node mp = root["multi_period"];
  if (Reader::IsNull(mp)) return;
  if (!mp.IsMap()) r.Fail(mp, "multi_period", "expected a mapping");
  MultiPeriodSettings m;
  const std::string prefix = "multi_period";
  r.Optional(mp, "frequency", prefix,
             [&](const auto& n, const auto& p) { m.frequency = r.String(n, p); });
  r.Optional(mp, "in_sample_len", prefix,
             [&](const auto& n, const auto& p) { m.in_sample_len = r.Integer(n, p); });
  r.Optional(mp, "out_sample_len", prefix,
             [&](const auto& n, const auto& p) { m.out_sample_len = r.Integer(n, p); });
  r.Optional(mp, "start", prefix,
             [&](const auto& n, const auto& p) { m.start_month = ParseMonth(r, n, p); });
  r.Optional(mp, "end", prefix,
             [&](const auto& n, const auto& p) { m.end_month = ParseMonth(r, n, p); });
  s.multi_period = m;
}

}  // namespace

LoadedConfig ParseConfig(std::string_view yaml_text, std::string_view source,
                         const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{} line {}, column {}: malformed YAML: {}", source,
                                 e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return ParseConfigTree(root, source, base_dir);
}

bool IsConfigKey(const std::string& path) {
  return IsKnown(path);
}

LoadedConfig ParseConfigTree(const YAML::Node& root, std::string_view source,
                             const std::string& base_dir) {
  if (!root || root.IsNull()) throw InputError(fmt::format("{}: the config file is empty", source));
  if (!root.IsMap()) {
    throw InputError(
        fmt::format("{}: the config must be a mapping of sections (data, portfolio, ...)", source));
  }
  Reader r{std::string(source)};
  LoadedConfig out;
  AnalysisSettings& s = out.settings;
  try {
    r.WarnUnknown(root, "");
    ParseData(r, root, base_dir, s);
    ParsePreprocessing(r, root, s);
    ParseVolAdjust(r, root, s);
    ParseSampleSplit(r, root, s);
    ParsePortfolio(r, root, s);
    ParseRegime(r, root, s);
    ParseMetrics(r, root, s);
    ParseSignals(r, root, s);
    ParseExport(r, root, s);
    ParseMultiPeriod(r, root, s);
    const YAML::Node bench = root["benchmarks"];
    if (!Reader::IsNull(bench)) {
      if (!bench.IsMap()) r.Fail(bench, "benchmarks", "expected a mapping of label: column");
      for (const auto& item : bench) {
        const std::string label = item.first.as<std::string>();
        s.benchmarks.emplace_back(label, r.String(item.second, "benchmarks." + label));
      }
    }
    if (!Reader::IsNull(root["seed"])) {
      const int seed = r.Integer(root["seed"], "seed");
      if (seed < 0) r.Fail(root["seed"], "seed", "expected a non-negative integer");
      s.seed = static_cast<std::uint64_t>(seed);
    }
    const YAML::Node run = root["run"];
    if (run && run.IsMap() && !Reader::IsNull(run["monthly_cost"])) {
      s.monthly_cost = r.Number(run["monthly_cost"], "run.monthly_cost");
    }
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{} line {}: {}", source, e.mark.line + 1, e.msg));
  }
  out.warnings = std::move(r.warnings());
  return out;
}

LoadedConfig LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open the config file", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  return ParseConfig(buffer.str(), path, base_dir);
}

}  // namespace trend
