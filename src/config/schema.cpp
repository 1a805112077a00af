#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace trend {
namespace {

using S = AnalysisSettings;
using V = ConfigValue;

// Builds one row; the chained setters keep the table readable.
struct Key : KeySpec {
  Key(std::string_view p, KeyType t, std::string_view def, std::string_view h,
      void (*a)(const V&, S&) = nullptr) {
    path = p;
    type = t;
    default_text = def;
    help = h;
    apply = a;
  }
  Key& Min(double lo, bool exclusive = false) {
    min = lo;
    min_exclusive = exclusive;
    return *this;
  }
  Key& Max(double hi) {
    max = hi;
    return *this;
  }
  Key& Choices(std::vector<Choice> c, std::optional<int> fallback_choice = std::nullopt) {
    choices = std::move(c);
    fallback = fallback_choice;
    return *this;
  }
  Key& AliasOf(std::string_view main_key) {
    alias_of = main_key;
    return *this;
  }
  Key& Sweep() {
    sweepable = true;
    return *this;
  }
  Key& Needs(std::string_view key, std::string_view needs, bool (*holds)(const S&, RunMode)) {
    dependencies.push_back({key, needs, holds});
    return *this;
  }
};

Key Section(std::string_view path, std::string_view help, void (*apply)(const V&, S&) = nullptr) {
  return Key(path, KeyType::kSection, "", help, apply);
}

// A key the reference accepts and ignores: no effect here either, and a warning says so.
Key Inert(std::string_view path, std::string_view help) {
  Key k(path, KeyType::kAny, "", help);
  k.inert = true;
  return k;
}

template <typename Enum, std::size_t N>
std::vector<Choice> ChoicesOf(const std::array<NamedChoice<Enum>, N>& table) {
  std::vector<Choice> out;
  for (const auto& c : table) {
    Choice choice{c.name, {}};
    for (std::string_view alias : c.aliases) {
      if (!alias.empty()) choice.aliases.push_back(alias);
    }
    out.push_back(std::move(choice));
  }
  return out;
}

template <typename Enum, std::size_t N>
Enum Chosen(const std::array<NamedChoice<Enum>, N>& table, const V& v) {
  return table[static_cast<std::size_t>(v.choice)].value;
}

std::vector<Choice> ScoreByChoices() {
  std::vector<Choice> out = ChoicesOf(kMetricNames);
  out.push_back({"blended", {}});
  return out;
}

void ApplyPolicies(const V& v, MissingPolicy& policy) {
  for (const auto& [column, kind] : v.policies) {
    if (column.empty()) {
      policy.default_policy = kind;
    } else {
      policy.per_column[column] = kind;
    }
  }
}

void ApplyLimits(const V& v, MissingPolicy& policy) {
  for (const auto& [column, limit] : v.limits) {
    if (column.empty()) {
      policy.default_limit = limit;
    } else {
      policy.per_column_limit[column] = limit;
    }
  }
}

MultiPeriodSettings& Periods(S& s) {
  if (!s.multi_period) s.multi_period.emplace();
  return *s.multi_period;
}

// Dependency tests.
bool VolAdjustOn(const S& s, RunMode) {
  return s.vol_adjust.enabled;
}
bool EwmaDecay(const S& s, RunMode) {
  return s.vol_adjust.decay == VolDecay::kEwma;
}
bool NoCustomWeights(const S& s, RunMode) {
  return !s.portfolio.custom_weights;
}
bool RankMode(const S& s, RunMode) {
  return s.portfolio.selection_mode == "rank";
}
bool TopN(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.inclusion_approach == RankInclusion::kTopN;
}
bool TopPct(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.inclusion_approach == RankInclusion::kTopPct;
}
bool ThresholdInclusion(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.inclusion_approach == RankInclusion::kThreshold;
}
bool Blended(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.blended;
}
bool PercentileTransform(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.transform == RankTransform::kPercentile;
}
bool ZscoreTransform(const S& s, RunMode m) {
  return RankMode(s, m) && s.portfolio.rank.transform == RankTransform::kZscore;
}
bool ManualMode(const S& s, RunMode) {
  return s.portfolio.selection_mode == "manual";
}
bool ThresholdHold(const S& s, RunMode) {
  return s.portfolio.policy == PortfolioPolicy::kThresholdHold;
}
bool RandomNUsed(const S& s, RunMode m) {
  return s.portfolio.selection_mode == "random" ||
         (ThresholdHold(s, m) && !s.portfolio.threshold_hold.target_n);
}
bool TurnoverReference(const S& s, RunMode m) {
  return s.portfolio.previous_weights.has_value() ||
         (m == RunMode::kMultiPeriod && ThresholdHold(s, m));
}
bool PartialSplit(const S& s, RunMode) {
  const auto& sp = s.sample_split;
  return !(sp.in_start && sp.in_end && sp.out_start && sp.out_end);
}
bool DateSplit(const S& s, RunMode m) {
  return PartialSplit(s, m) && s.sample_split.method == SplitMethod::kDate;
}
bool RatioSplit(const S& s, RunMode m) {
  return PartialSplit(s, m) && s.sample_split.method == SplitMethod::kRatio;
}
bool RegimeOn(const S& s, RunMode) {
  return s.regime.enabled;
}
bool AsOfSet(const S& s, RunMode) {
  return s.data.as_of || s.sample_split.out_end || s.sample_split.in_end;
}

std::vector<KeySpec> BuildSchema() {
  const Key rows[] = {
      // top level
      Key("version", KeyType::kString, "\"1\"", "Config format version (validated, no effect).",
          [](const V&, S&) {}),
      Key("seed", KeyType::kInteger, "42",
          "Seed of random selection (numpy's PCG64 draw, as the reference).",
          [](const V& v, S& s) { s.seed = static_cast<std::uint64_t>(v.integer); })
          .Min(0)
          .Max(4294967295.0)
          .Sweep()
          .Needs("portfolio.selection_mode", "random",
                 [](const S& s, RunMode) { return s.portfolio.selection_mode == "random"; }),
      Inert("jobs", "Parallel jobs of the reference's runner; `trend sweep --threads` sets ours."),
      Inert("checkpoint_dir", "The reference's checkpoint folder; not used."),
      Key("benchmarks", KeyType::kStringMap, "{}",
          "label: column of benchmarks reported beside the portfolios.",
          [](const V& v, S& s) { s.benchmarks = v.pairs; }),
      Inert("performance", "The reference's cache switches; diagnostics only."),


      Section("data", "Where the returns come from and how missing values are treated."),
      Key("data.csv_path", KeyType::kPath, "",
          "Wide CSV of returns, relative to the config file (`--returns` overrides it).",
          [](const V& v, S& s) { s.data.csv_path = v.text; })
          .Needs("data.source", "to be unset (the database it names is read instead)",
                 [](const S& s, RunMode) { return s.data.source.empty(); }),
      Key("data.source", KeyType::kString, "",
          "Returns from the database `trend ingest --format returns` loads: `sqlite:///abs/path.db`, "
          "`sqlite://relative/path.db` or `postgresql://...`; the panel is the one the "
          "equivalent wide CSV gives (`--returns` overrides it).",
          [](const V& v, S& s) { s.data.source = v.text; }),
      Key("data.table", KeyType::kString, "returns",
          "With data.source: the table holding (stream, date, fund, source, value) rows.",
          [](const V& v, S& s) { s.data.table = v.text; })
          .Needs("data.source", "a database URL", [](const S& s, RunMode) { return !s.data.source.empty(); }),
      Key("data.stream", KeyType::kString, "returns",
          "With data.source: the stream (`trend ingest --stream`) to read.",
          [](const V& v, S& s) { s.data.stream = v.text; })
          .Needs("data.source", "a database URL", [](const S& s, RunMode) { return !s.data.source.empty(); }),
      Key("data.date_column", KeyType::kString, "Date",
          "The date column (matched case-insensitively).",
          [](const V& v, S& s) { s.data.date_column = v.text; }),
      Key("data.frequency", KeyType::kChoice, "",
          "Declared cadence. Informational: the cadence is detected from the dates.",
          [](const V& v, S& s) {
            static constexpr std::string_view kNames[] = {"D", "W", "M", "ME"};
            s.data.frequency = std::string(kNames[static_cast<std::size_t>(v.choice)]);
          })
          .Choices({{"D", {}}, {"W", {}}, {"M", {}}, {"ME", {}}}),
      Inert("data.timezone", "Calendar alignment zone; dates carry no time here."),
      Key("data.missing_policy", KeyType::kPolicy, "drop",
          "Load-time policy: drop, ffill or zero, or a mapping per column (`*` = default).",
          [](const V& v, S& s) {
            s.data.missing_policy_set = true;
            ApplyPolicies(v, s.data.load_missing);
          }),
      Key("data.missing_limit", KeyType::kLimit, "null",
          "Longest run of missing values ffill/zero may fill (null = any), or per column.",
          [](const V& v, S& s) {
            s.data.missing_limit_set = true;
            ApplyLimits(v, s.data.load_missing);
          }),
      Key("data.nan_policy", KeyType::kPolicy, "", "Legacy name of data.missing_policy.",
          [](const V& v, S& s) {
            s.data.missing_policy_set = true;
            ApplyPolicies(v, s.data.load_missing);
          })
          .AliasOf("data.missing_policy"),
      Key("data.nan_limit", KeyType::kLimit, "", "Legacy name of data.missing_limit.",
          [](const V& v, S& s) {
            s.data.missing_limit_set = true;
            ApplyLimits(v, s.data.load_missing);
          })
          .AliasOf("data.missing_limit"),
      Key("data.risk_free_column", KeyType::kString, "null",
          "Column of risk-free returns; unset: see allow_risk_free_fallback.",
          [](const V& v, S& s) {
            if (!v.text.empty()) s.data.risk_free_column = v.text;
          }),
      Key("data.allow_risk_free_fallback", KeyType::kBool, "false",
          "Without a risk-free column, use the lowest-volatility column as risk-free.",
          [](const V& v, S& s) { s.data.allow_risk_free_fallback = v.boolean; }),
      Key("data.universe_membership_path", KeyType::kPath, "",
          "CSV of fund membership windows (fund, effective_date, end_date); multi-period runs "
          "blank each fund's returns outside its windows.",
          [](const V& v, S& s) { s.data.universe_membership_path = v.text; })
          .Needs("--multi-period", "a multi-period run",
                 [](const S&, RunMode m) { return m == RunMode::kMultiPeriod; }),
      Key("data.max_lag_days", KeyType::kInteger, "",
          "Staleness guard of single-period runs: the last row may trail data.as_of (else "
          "sample_split.out_end, else in_end) by at most this many days, else an error; <= 0 "
          "checks nothing.",
          [](const V& v, S& s) { s.data.max_lag_days = static_cast<int>(v.integer); })
          .Min(-36500)
          .Max(36500)
          .Needs("data.as_of (or sample_split.out_end / in_end)", "a date", AsOfSet),
      Key("data.as_of", KeyType::kDate, "", "The date the data must be current as of.",
          [](const V& v, S& s) { s.data.as_of = v.date; }),
      Key("data.as_of_date", KeyType::kDate, "", "Other name of data.as_of.",
          [](const V& v, S& s) { s.data.as_of = v.date; })
          .AliasOf("data.as_of"),
      Inert("data.managers_glob", "The reference's manager file pattern; not read."),
      Inert("data.indices_glob", "The reference's index file pattern; not read."),
      Inert("data.price_column", "Not read: the input holds returns."),
      Inert("data.currency", "Not read."),
      Inert("data.lookback_required", "Not read."),
      Inert("data.missing_fill_limit", "Not read (the reference's demo sets it)."),

      Section("preprocessing", "Missing data inside the analysis windows (layer B)."),
      Inert("preprocessing.holiday_calendar", "Every name gives the same list in the reference."),
      Section("preprocessing.missing_data", "The analysis-window missing-data policy."),
      Key("preprocessing.missing_data.policy", KeyType::kPolicy, "drop",
          "drop, ffill or zero for the in-sample and out-of-sample windows.",
          [](const V& v, S& s) { ApplyPolicies(v, s.preprocessing_missing); }),
      Key("preprocessing.missing_data.limit", KeyType::kLimit, "null",
          "Longest run ffill may fill (null = any).",
          [](const V& v, S& s) { ApplyLimits(v, s.preprocessing_missing); }),
      Key("preprocessing.missing_data.per_asset", KeyType::kPolicy, "{}",
          "Per-column policies: column: policy.",
          [](const V& v, S& s) { ApplyPolicies(v, s.preprocessing_missing); }),
      Key("preprocessing.missing_data.per_asset_limit", KeyType::kLimit, "{}",
          "Per-column limits: column: limit.",
          [](const V& v, S& s) { ApplyLimits(v, s.preprocessing_missing); }),
      Inert("preprocessing.de_duplicate", "Not applied by the reference's engine."),
      Inert("preprocessing.winsorise", "Not applied by the reference's engine."),
      Inert("preprocessing.log_prices", "Not applied by the reference's engine."),
      Inert("preprocessing.resample", "Not applied: every file is compounded to month ends."),
      Inert("preprocessing.steps", "Not applied by the reference's engine."),

      Section("vol_adjust", "Volatility targeting: each fund scaled to target_vol."),
      Key("vol_adjust.enabled", KeyType::kBool, "true",
          "false: no scaling (every factor 1), see difference D1.",
          [](const V& v, S& s) { s.vol_adjust.enabled = v.boolean; })
          .Sweep(),
      Key("vol_adjust.target_vol", KeyType::kNumber, "1.0",
          "Annualised volatility each fund is scaled to (1.0 when absent, as the reference).",
          [](const V& v, S& s) { s.vol_adjust.target_vol = v.number; })
          .Min(0, true)
          .Max(100)
          .Sweep()
          .Needs("vol_adjust.enabled", "true", VolAdjustOn),
      Key("vol_adjust.floor_vol", KeyType::kNumber, "0.0",
          "Lower bound on the realised volatility in the scale factor.",
          [](const V& v, S& s) { s.vol_adjust.floor_vol = v.number; })
          .Min(0)
          .Max(100)
          .Sweep()
          .Needs("vol_adjust.enabled", "true", VolAdjustOn),
      Key("vol_adjust.warmup_periods", KeyType::kInteger, "0",
          "Zero the first N rows of both scaled windows.",
          [](const V& v, S& s) { s.vol_adjust.warmup_periods = static_cast<int>(v.integer); })
          .Min(0)
          .Max(100000)
          .Sweep(),
      Section("vol_adjust.window", "The realised-volatility estimator."),
      Key("vol_adjust.window.length", KeyType::kInteger, "(every in-sample row)",
          "Rolling length of the simple estimator; <= 0 means every in-sample row.",
          [](const V& v, S& s) {
            if (v.integer > 0) {
              s.vol_adjust.window_length = static_cast<int>(v.integer);
            } else {
              s.vol_adjust.window_length.reset();
            }
          })
          .Max(100000)
          .Sweep()
          .Needs("vol_adjust.enabled", "true", VolAdjustOn),
      Key("vol_adjust.window.decay", KeyType::kChoice, "simple", "simple or ewma.",
          [](const V& v, S& s) { s.vol_adjust.decay = Chosen(kVolDecayNames, v); })
          .Choices(ChoicesOf(kVolDecayNames))
          .Sweep()
          .Needs("vol_adjust.enabled", "true", VolAdjustOn),
      Key("vol_adjust.window.lambda", KeyType::kNumber, "0.94", "EWMA decay factor.",
          [](const V& v, S& s) { s.vol_adjust.ewma_lambda = v.number; })
          .Min(0, true)
          .Max(0.999999999)
          .Sweep()
          .Needs("vol_adjust.window.decay", "ewma", EwmaDecay),
      Key("vol_adjust.window.ewma_lambda", KeyType::kNumber, "",
          "Other name of vol_adjust.window.lambda.",
          [](const V& v, S& s) { s.vol_adjust.ewma_lambda = v.number; })
          .AliasOf("vol_adjust.window.lambda")
          .Min(0, true)
          .Max(0.999999999)
          .Needs("vol_adjust.window.decay", "ewma", EwmaDecay),

      Section("sample_split", "The in-sample and out-of-sample windows."),
      Key("sample_split.in_start", KeyType::kWindowStart, "",
          "First in-sample month (YYYY-MM) or day.",
          [](const V& v, S& s) { s.sample_split.in_start = v.date; })
          .Sweep(),
      Key("sample_split.in_end", KeyType::kWindowEnd, "", "Last in-sample month or day.",
          [](const V& v, S& s) { s.sample_split.in_end = v.date; })
          .Sweep(),
      Key("sample_split.out_start", KeyType::kWindowStart, "", "First out-of-sample month or day.",
          [](const V& v, S& s) { s.sample_split.out_start = v.date; })
          .Sweep(),
      Key("sample_split.out_end", KeyType::kWindowEnd, "", "Last out-of-sample month or day.",
          [](const V& v, S& s) { s.sample_split.out_end = v.date; })
          .Sweep(),
      Key("sample_split.method", KeyType::kChoice, "date",
          "How to derive missing window bounds: date or ratio (any other name is ratio, as in "
          "the reference).",
          [](const V& v, S& s) { s.sample_split.method = Chosen(kSplitMethodNames, v); })
          .Choices(ChoicesOf(kSplitMethodNames), 1)
          .Needs("sample_split.in_start/in_end/out_start/out_end", "not all four set",
                 PartialSplit),
      Key("sample_split.date", KeyType::kMonth, "", "Last in-sample month for method: date.",
          [](const V& v, S& s) { s.sample_split.boundary_month = v.month; })
          .Needs("sample_split.method", "date", DateSplit),
      Key("sample_split.ratio", KeyType::kNumber, "0.7",
          "In-sample share of the rows for method: ratio.",
          [](const V& v, S& s) { s.sample_split.ratio = v.number; })
          .Min(0, true)
          .Max(1)
          .Needs("sample_split.method", "ratio", RatioSplit),
      Inert("sample_split.rolling_walk", "Not read by the reference's engine."),
      Inert("sample_split.folds", "Not read by the reference's engine."),

      Section("portfolio", "Selection, weighting, constraints and turnover."),
      Key("portfolio.selection_mode", KeyType::kString, "all",
          "all, random, manual, rank, or a model a plugin registers.",
          [](const V& v, S& s) { s.portfolio.selection_mode = v.text; })
          .Sweep(),
      Key("portfolio.random_n", KeyType::kInteger, "8",
          "Funds drawn in random mode; the threshold-hold target when target_n is unset.",
          [](const V& v, S& s) { s.portfolio.random_n = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Sweep()
          .Needs("portfolio.selection_mode", "random (or threshold_hold without target_n)",
                 RandomNUsed),
      Key("portfolio.manual_list", KeyType::kStringList, "[]", "Funds kept in manual mode.",
          [](const V& v, S& s) { s.portfolio.manual_list = v.names; })
          .Needs("portfolio.selection_mode", "manual", ManualMode),
      Key("portfolio.custom_weights", KeyType::kNumberMap, "",
          "Base weights in percent per fund; in all mode they also restrict the universe.",
          [](const V& v, S& s) { s.portfolio.custom_weights = v.numbers; }),
      Section("portfolio.rank", "Rank selection (selection_mode: rank)."),
      Key("portfolio.rank.inclusion_approach", KeyType::kChoice, "top_n",
          "top_n, top_pct or threshold.",
          [](const V& v, S& s) {
            s.portfolio.rank.inclusion_approach = Chosen(kRankInclusionNames, v);
          })
          .Choices(ChoicesOf(kRankInclusionNames))
          .Sweep()
          .Needs("portfolio.selection_mode", "rank", RankMode),
      Key("portfolio.rank.n", KeyType::kInteger, "", "Funds kept by top_n.",
          [](const V& v, S& s) { s.portfolio.rank.n = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Sweep()
          .Needs("portfolio.rank.inclusion_approach", "top_n", TopN),
      Key("portfolio.rank.pct", KeyType::kNumber, "", "Share of funds kept by top_pct.",
          [](const V& v, S& s) { s.portfolio.rank.pct = v.number; })
          .Min(0, true)
          .Max(1)
          .Sweep()
          .Needs("portfolio.rank.inclusion_approach", "top_pct", TopPct),
      Key("portfolio.rank.threshold", KeyType::kNumber, "", "Score cut-off of threshold.",
          [](const V& v, S& s) { s.portfolio.rank.threshold = v.number; })
          .Min(-1e9)
          .Max(1e9)
          .Sweep()
          .Needs("portfolio.rank.inclusion_approach", "threshold", ThresholdInclusion),
      Key("portfolio.rank.score_by", KeyType::kChoice, "AnnualReturn",
          "The metric funds are ranked by, or blended.",
          [](const V& v, S& s) {
            auto& rank = s.portfolio.rank;
            rank.blended = static_cast<std::size_t>(v.choice) == kMetricNames.size();
            if (!rank.blended) rank.score_by = Chosen(kMetricNames, v);
          })
          .Choices(ScoreByChoices())
          .Sweep()
          .Needs("portfolio.selection_mode", "rank", RankMode),
      Key("portfolio.rank.blended_weights", KeyType::kMetricWeights, "",
          "metric: weight of each z-scored metric in a blended score.",
          [](const V& v, S& s) { s.portfolio.rank.blended_weights = v.metric_weights; })
          .Needs("portfolio.rank.score_by", "blended", Blended),
      Key("portfolio.rank.transform", KeyType::kChoice, "raw",
          "raw, rank, percentile or zscore, applied to the scores.",
          [](const V& v, S& s) { s.portfolio.rank.transform = Chosen(kRankTransformNames, v); })
          .Choices(ChoicesOf(kRankTransformNames))
          .Sweep()
          .Needs("portfolio.selection_mode", "rank", RankMode),
      Key("portfolio.rank.transform_mode", KeyType::kChoice, "",
          "Other name of portfolio.rank.transform.",
          [](const V& v, S& s) { s.portfolio.rank.transform = Chosen(kRankTransformNames, v); })
          .AliasOf("portfolio.rank.transform")
          .Choices(ChoicesOf(kRankTransformNames))
          .Needs("portfolio.selection_mode", "rank", RankMode),
      Key("portfolio.rank.zscore_window", KeyType::kInteger, "",
          "The z-score uses the last N scores only.",
          [](const V& v, S& s) { s.portfolio.rank.zscore_window = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Needs("portfolio.rank.transform", "zscore", ZscoreTransform),
      Key("portfolio.rank.zscore_ddof", KeyType::kInteger, "1",
          "Degrees of freedom of the z-score's standard deviation.",
          [](const V& v, S& s) { s.portfolio.rank.zscore_ddof = static_cast<int>(v.integer); })
          .Min(0)
          .Max(10)
          .Needs("portfolio.rank.transform", "zscore", ZscoreTransform),
      Key("portfolio.rank.rank_pct", KeyType::kNumber, "0.5",
          "Share kept by the percentile transform.",
          [](const V& v, S& s) { s.portfolio.rank.rank_pct = v.number; })
          .Min(0, true)
          .Max(1)
          .Needs("portfolio.rank.transform", "percentile", PercentileTransform),
      Key("portfolio.rank.limit_one_per_firm", KeyType::kBool, "true",
          "Keep at most one fund per firm while others remain.",
          [](const V& v, S& s) { s.portfolio.rank.limit_one_per_firm = v.boolean; })
          .Sweep()
          .Needs("portfolio.selection_mode", "rank", RankMode),
      Key("portfolio.indices_list", KeyType::kStringList, "[]",
          "Columns that are indices, never funds.",
          [](const V& v, S& s) { s.portfolio.indices_list = v.names; }),
      Key("portfolio.weighting_scheme", KeyType::kString, "equal",
          "equal, risk_parity, hrp, erc, robust_mv, robust_risk_parity, or a plugin's scheme. "
          "An unknown name falls back to equal weights with a warning, as the reference does.",
          [](const V& v, S& s) { s.portfolio.weighting_scheme = v.text; })
          .Sweep()
          .Needs("portfolio.custom_weights", "unset", NoCustomWeights),
      Section("portfolio.constraints", "Weight constraints."),
      Key("portfolio.constraints.long_only", KeyType::kBool, "true", "Clip weights at 0.",
          [](const V& v, S& s) { s.portfolio.constraints.long_only = v.boolean; }),
      Key("portfolio.constraints.max_weight", KeyType::kNumber, "",
          "Cap on any fund's weight (threshold-hold default 0.18).",
          [](const V& v, S& s) { s.portfolio.constraints.max_weight = v.number; })
          .Min(0, true)
          .Max(1)
          .Sweep(),
      Key("portfolio.constraints.group_caps", KeyType::kNumberMap, "{}", "group: cap.",
          [](const V& v, S& s) { s.portfolio.constraints.group_caps = v.numbers; }),
      Key("portfolio.constraints.groups", KeyType::kStringMap, "{}", "fund: group.",
          [](const V& v, S& s) {
            for (const auto& [fund, group] : v.pairs) s.portfolio.constraints.groups[fund] = group;
          }),
      Key("portfolio.constraints.max_funds", KeyType::kInteger, "10",
          "Threshold-hold holdings cap.",
          [](const V& v, S& s) { s.portfolio.constraints.max_funds = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.constraints.min_weight", KeyType::kNumber, "0.05",
          "Threshold-hold lower weight bound.",
          [](const V& v, S& s) { s.portfolio.constraints.min_weight = v.number; })
          .Min(0)
          .Max(1)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.constraints.min_weight_strikes", KeyType::kInteger,
          "(threshold_hold.min_weight_strikes, else 2)",
          "Periods below min_weight before a threshold-hold fund is dropped.",
          [](const V& v, S& s) {
            s.portfolio.constraints.min_weight_strikes = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(10000)
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Inert("portfolio.constraints.cash_weight", "Not used by the reference's pipeline."),
      Key("portfolio.previous_weights", KeyType::kNumberMap, "",
          "Weights before this rebalance (fund: weight), for lambda_tc and max_turnover.",
          [](const V& v, S& s) { s.portfolio.previous_weights = v.numbers; }),
      Key("portfolio.lambda_tc", KeyType::kNumber, "(0: no penalty)",
          "Turnover penalty: move only (1 - lambda_tc) of the way from the previous weights.",
          [](const V& v, S& s) { s.portfolio.lambda_tc = v.number; })
          .Min(0)
          .Max(1)
          .Sweep()
          .Needs("portfolio.previous_weights", "set (or a threshold-hold run)", TurnoverReference),
      Key("portfolio.max_turnover", KeyType::kNumber, "",
          "Cap on the sum of absolute weight changes.",
          [](const V& v, S& s) { s.portfolio.max_turnover = v.number; })
          .Min(0)
          .Max(2)
          .Sweep()
          .Needs("portfolio.previous_weights", "set (or a threshold-hold run)", TurnoverReference),
      Section("portfolio.weight_policy", "Funds whose weight or signal is not finite."),
      Key("portfolio.weight_policy.mode", KeyType::kChoice, "drop", "drop, carry or cash.",
          [](const V& v, S& s) {
            s.portfolio.weight_policy.mode = Chosen(kWeightPolicyModeNames, v);
          })
          .Choices(ChoicesOf(kWeightPolicyModeNames)),
      Key("portfolio.weight_policy.policy", KeyType::kChoice, "",
          "Other name of portfolio.weight_policy.mode.",
          [](const V& v, S& s) {
            s.portfolio.weight_policy.mode = Chosen(kWeightPolicyModeNames, v);
          })
          .AliasOf("portfolio.weight_policy.mode")
          .Choices(ChoicesOf(kWeightPolicyModeNames)),
      Key("portfolio.weight_policy.min_assets", KeyType::kInteger, "1",
          "Fewest valid funds before the previous weights (or cash) are used.",
          [](const V& v, S& s) {
            s.portfolio.weight_policy.min_assets = static_cast<int>(v.integer);
          })
          .Min(0)
          .Max(100000),
      Key("portfolio.transaction_cost_bps", KeyType::kNumber, "0",
          "Cost per unit of turnover in basis points (multi-period).",
          [](const V& v, S& s) { s.portfolio.transaction_cost_bps = v.number; })
          .Min(0)
          .Max(10000)
          .Sweep(),
      Key("portfolio.policy", KeyType::kChoice, "default",
          "threshold_hold runs the multi-period rebalancer; anything else the default path.",
          [](const V& v, S& s) { s.portfolio.policy = Chosen(kPortfolioPolicyNames, v); })
          .Choices(ChoicesOf(kPortfolioPolicyNames), 0)
          .Sweep(),
      Section("portfolio.threshold_hold", "The threshold-hold rebalancer's z-score rules."),
      Key("portfolio.threshold_hold.target_n", KeyType::kInteger, "(portfolio.random_n)",
          "Funds in the seed portfolio.",
          [](const V& v, S& s) {
            s.portfolio.threshold_hold.target_n = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(100000)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.metric", KeyType::kChoice, "Sharpe",
          "Score-frame column the z-scores use; another name falls back to Sharpe with a "
          "warning, as in the reference.",
          [](const V& v, S& s) { s.portfolio.threshold_hold.metric = Chosen(kHoldColumnNames, v); })
          .Choices(ChoicesOf(kHoldColumnNames), 2)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.z_exit_soft", KeyType::kNumber, "-1.0",
          "A held fund below this z-score gets a strike.",
          [](const V& v, S& s) { s.portfolio.threshold_hold.z_exit_soft = v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.z_exit_hard", KeyType::kNumber, "",
          "A held fund below this z-score leaves at once.",
          [](const V& v, S& s) { s.portfolio.threshold_hold.z_exit_hard = v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.z_entry_soft", KeyType::kNumber, "1.0",
          "A candidate above this z-score gets an entry strike.",
          [](const V& v, S& s) { s.portfolio.threshold_hold.z_entry_soft = v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.z_entry_hard", KeyType::kNumber, "",
          "A candidate above this z-score enters at once.",
          [](const V& v, S& s) { s.portfolio.threshold_hold.z_entry_hard = v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.soft_strikes", KeyType::kInteger, "2",
          "Strikes before a held fund leaves.",
          [](const V& v, S& s) {
            s.portfolio.threshold_hold.soft_strikes = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(10000)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.entry_soft_strikes", KeyType::kInteger, "1",
          "Entry strikes before a candidate enters automatically.",
          [](const V& v, S& s) {
            s.portfolio.threshold_hold.entry_soft_strikes = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(10000)
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.entry_eligible_strikes", KeyType::kInteger,
          "(max(1, entry_soft_strikes - 1))", "Entry strikes before a candidate is eligible.",
          [](const V& v, S& s) {
            s.portfolio.threshold_hold.entry_eligible_strikes = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(10000)
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Key("portfolio.threshold_hold.min_weight_strikes", KeyType::kInteger, "(2)",
          "As constraints.min_weight_strikes, used when that is unset.",
          [](const V& v, S& s) {
            s.portfolio.threshold_hold.min_weight_strikes = static_cast<int>(v.integer);
          })
          .Min(1)
          .Max(10000)
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Inert("portfolio.threshold_hold.weighting",
            "The rebalancer's survivor weights, which the engine always overwrites."),
      Section("portfolio.weighting", "Threshold-hold weighting of the holdings."),
      Key("portfolio.weighting.name", KeyType::kChoice, "equal",
          "equal, score_prop_bayes or adaptive_bayes; the reference weights any other name "
          "(score_prop, robust_mv, ...) equally there, and so do we, with a warning.",
          [](const V& v, S& s) { s.portfolio.weighting.name = Chosen(kHoldingsWeightingNames, v); })
          .Choices(ChoicesOf(kHoldingsWeightingNames), 0)
          .Sweep()
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Section("portfolio.weighting.params", "Parameters of the holdings weighting."),
      Key("portfolio.weighting.params.column", KeyType::kChoice, "Sharpe",
          "Score-frame column score_prop_bayes weights by.",
          [](const V& v, S& s) { s.portfolio.weighting.column = Chosen(kHoldColumnNames, v); })
          .Choices(ChoicesOf(kHoldColumnNames))
          .Needs("portfolio.weighting.name", "score_prop_bayes",
                 [](const S& s, RunMode m) {
                   return ThresholdHold(s, m) &&
                          s.portfolio.weighting.name == HoldingsWeighting::kScorePropBayes;
                 }),
      Key("portfolio.weighting.params.shrink_tau", KeyType::kNumber, "0.25",
          "Shrinkage of the scores towards their mean.",
          [](const V& v, S& s) { s.portfolio.weighting.shrink_tau = v.number; })
          .Min(0)
          .Max(1e6)
          .Needs("portfolio.weighting.name", "score_prop_bayes",
                 [](const S& s, RunMode m) {
                   return ThresholdHold(s, m) &&
                          s.portfolio.weighting.name == HoldingsWeighting::kScorePropBayes;
                 }),
      Key("portfolio.weighting.params.half_life", KeyType::kNumber, "90",
          "adaptive_bayes: days for the precision to halve.",
          [](const V& v, S& s) { s.portfolio.weighting.half_life = v.number; })
          .Min(0, true)
          .Max(1e6),
      Key("portfolio.weighting.params.obs_sigma", KeyType::kNumber, "0.25",
          "adaptive_bayes: observation noise.",
          [](const V& v, S& s) { s.portfolio.weighting.obs_sigma = v.number; })
          .Min(0, true)
          .Max(1e6),
      Key("portfolio.weighting.params.max_w", KeyType::kNumber, "", "adaptive_bayes: weight cap.",
          [](const V& v, S& s) { s.portfolio.weighting.max_w = v.number; })
          .Min(0, true)
          .Max(1),
      Key("portfolio.weighting.params.prior_tau", KeyType::kNumber, "1.0",
          "adaptive_bayes: prior precision.",
          [](const V& v, S& s) { s.portfolio.weighting.prior_tau = v.number; })
          .Min(0)
          .Max(1e6),
      Inert("portfolio.weighting.params.prior_mean", "adaptive_bayes: only 'equal' exists."),
      Section("portfolio.selector", "The threshold-hold seed selector."),
      Inert("portfolio.selector.name", "Not read by any engine path."),
      Section("portfolio.selector.params", "Seed selector parameters."),
      Key("portfolio.selector.params.rank_column", KeyType::kChoice, "Sharpe",
          "Score-frame column the threshold-hold seed is ranked by.",
          [](const V& v, S& s) { s.portfolio.selector_rank_column = Chosen(kHoldColumnNames, v); })
          .Choices(ChoicesOf(kHoldColumnNames))
          .Needs("portfolio.policy", "threshold_hold", ThresholdHold),
      Inert("portfolio.selector.params.threshold", "Not read by any engine path."),
      Inert("portfolio.selector.params.top_n", "Not read: threshold_hold.target_n sets the seed."),
      Inert("portfolio.rebalance_freq", "Validated only by the reference."),
      Inert("portfolio.rebalance_calendar", "Validated only by the reference."),
      Inert("portfolio.leverage_cap", "Validated only by the reference."),
      Inert("portfolio.cost_model", "Validated only: costs come from transaction_cost_bps."),
      Inert("portfolio.robustness", "Weight engines always use their constructor defaults."),
      Inert("portfolio.turnover_cap", "Validated only: max_turnover caps turnover."),

      Section("regime", "Risk-on/risk-off regime table of the single-period report."),
      Key("regime.enabled", KeyType::kBool, "false", "Compute the regime table.",
          [](const V& v, S& s) { s.regime.enabled = v.boolean; }),
      Key("regime.proxy", KeyType::kString, "", "Column whose rolling return defines regimes.",
          [](const V& v, S& s) { s.regime.proxy = v.text; })
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.method", KeyType::kChoice, "rolling_return", "rolling_return or volatility.",
          [](const V& v, S& s) { s.regime.method = Chosen(kRegimeMethodNames, v); })
          .Choices(ChoicesOf(kRegimeMethodNames))
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.lookback", KeyType::kInteger, "126", "Rolling window in rows.",
          [](const V& v, S& s) { s.regime.lookback = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.smoothing", KeyType::kInteger, "3", "Smoothing window in rows.",
          [](const V& v, S& s) { s.regime.smoothing = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000)
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.threshold", KeyType::kNumber, "0.0", "Signal level between the regimes.",
          [](const V& v, S& s) { s.regime.threshold = v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.neutral_band", KeyType::kNumber, "0.001", "Band around the threshold.",
          [](const V& v, S& s) { s.regime.neutral_band = v.number < 0 ? -v.number : v.number; })
          .Min(-1e6)
          .Max(1e6)
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.min_observations", KeyType::kInteger, "6",
          "Fewest rows a regime needs for statistics.",
          [](const V& v, S& s) { s.regime.min_observations = static_cast<int>(v.integer); })
          .Min(0)
          .Max(100000)
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.risk_on_label", KeyType::kString, "Risk-On", "Label of the risk-on regime.",
          [](const V& v, S& s) { s.regime.risk_on_label = v.text; })
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.risk_off_label", KeyType::kString, "Risk-Off", "Label of the risk-off regime.",
          [](const V& v, S& s) { s.regime.risk_off_label = v.text; })
          .Needs("regime.enabled", "true", RegimeOn),
      Key("regime.default_label", KeyType::kString, "(risk_on_label)",
          "Label of rows before the signal exists.",
          [](const V& v, S& s) { s.regime.default_label = v.text; })
          .Needs("regime.enabled", "true", RegimeOn),
      Inert("regime.cache", "A cache switch of the reference; no numeric effect."),
      Key("regime.annualise_volatility", KeyType::kBool, "true",
          "Annualise the volatility signal.",
          [](const V& v, S& s) { s.regime.annualise_volatility = v.boolean; })
          .Needs("regime.enabled", "true", RegimeOn),

      Section("metrics", "The score frame's metrics."),
      Key("metrics.registry", KeyType::kMetricList,
          "[annual_return, volatility, sharpe_ratio, sortino_ratio, max_drawdown, "
          "information_ratio]",
          "Score-frame columns, in order (an empty list keeps the default).",
          [](const V& v, S& s) {
            s.metrics = v.metrics.empty() ? DefaultScoreMetrics() : v.metrics;
          }),
      Inert("metrics.rf_rate_annual", "Not read by the engine."),
      Inert("metrics.use_continuous", "Not read by the engine."),
      Inert("metrics.alpha_reference", "Not read by the engine."),
      Inert("metrics.compute", "Not read by the engine."),
      Inert("metrics.bootstrap_ci", "Not read by the engine."),

      Section("signals", "The trend signal that decides which funds keep weight."),
      Key("signals.window", KeyType::kInteger, "(vol_adjust.window.length)",
          "Rolling window of the signal.",
          [](const V& v, S& s) { s.signals.window = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000),
      Key("signals.min_periods", KeyType::kInteger, "(signals.window)",
          "Rows the signal needs.",
          [](const V& v, S& s) { s.signals.min_periods = static_cast<int>(v.integer); })
          .Min(0)
          .Max(100000),
      Key("signals.lag", KeyType::kInteger, "1", "Rows the signal lags.",
          [](const V& v, S& s) { s.signals.lag = static_cast<int>(v.integer); })
          .Min(1)
          .Max(100000),
      Key("signals.vol_adjust", KeyType::kBool, "false", "Divide the signal by its volatility.",
          [](const V& v, S& s) { s.signals.vol_adjust = v.boolean; }),
      Key("signals.vol_target", KeyType::kNumber, "", "Target of the signal's vol adjustment.",
          [](const V& v, S& s) { s.signals.vol_target = v.number; })
          .Min(0, true)
          .Max(100),
      Key("signals.zscore", KeyType::kBool, "false", "z-score the signal.",
          [](const V& v, S& s) { s.signals.zscore = v.boolean; }),

      Section("export", "Files `trend run --out` writes."),
      Key("export.directory", KeyType::kString, "outputs", "Folder of the exports.",
          [](const V& v, S& s) { s.export_settings.directory = v.text; }),
      Key("export.formats", KeyType::kFormatList, "[xlsx]", "csv, json, xlsx (excel), txt.",
          [](const V& v, S& s) {
            for (const auto& f : v.names) {
              auto& formats = s.export_settings.formats;
              if (std::find(formats.begin(), formats.end(), f) == formats.end())
                formats.push_back(f);
            }
          }),
      Key("export.filename", KeyType::kString, "analysis", "Stem of the export files.",
          [](const V& v, S& s) { s.export_settings.filename = v.text; }),
      Section("output", "The reference's single-output shortcut, folded into export."),
      Key("output.format", KeyType::kFormatList, "", "One more export format."),
      Key("output.path", KeyType::kString, "",
          "Sets export.directory and export.filename where those are unset."),

      Section("run", "Run options."),
      Key("run.monthly_cost", KeyType::kNumber, "0.0",
          "Cost subtracted from every scaled monthly return.",
          [](const V& v, S& s) { s.monthly_cost = v.number; })
          .Min(-1)
          .Max(1)
          .Sweep(),
      Inert("run.log_level", "The reference's logging."),
      Inert("run.log_file", "The reference's logging."),
      Inert("run.n_jobs", "The reference's parallelism; `trend sweep --threads` sets ours."),
      Inert("run.jobs", "The reference's parallelism."),
      Inert("run.cache_dir", "The reference's cache."),
      Inert("run.deterministic", "Results here are always identical to the bit."),
      Inert("run.seed", "Not the engine seed: the top-level seed is."),
      Inert("run.checkpoint_dir", "The reference's checkpoints."),

      Section("multi_period", "The walk-forward schedule of `trend run --multi-period`.",
              [](const V&, S& s) { Periods(s); }),
      Key("multi_period.frequency", KeyType::kChoice, "A",
          "Unit of the lengths: M (monthly), Q (quarterly) or A (annual).",
          [](const V& v, S& s) { Periods(s).frequency = Chosen(kPeriodFrequencyNames, v); })
          .Choices(ChoicesOf(kPeriodFrequencyNames))
          .Sweep(),
      Key("multi_period.in_sample_len", KeyType::kInteger, "3",
          "In-sample length, in frequency units.",
          [](const V& v, S& s) { Periods(s).in_sample_len = static_cast<int>(v.integer); })
          .Min(1)
          .Max(1200)
          .Sweep(),
      Key("multi_period.out_sample_len", KeyType::kInteger, "1",
          "Out-of-sample length and step, in frequency units.",
          [](const V& v, S& s) { Periods(s).out_sample_len = static_cast<int>(v.integer); })
          .Min(1)
          .Max(1200)
          .Sweep(),
      Key("multi_period.start", KeyType::kMonth, "(the first month of the data)",
          "First in-sample month (YYYY-MM).",
          [](const V& v, S& s) { Periods(s).start_month = v.month; }),
      Key("multi_period.end", KeyType::kMonth, "(the last month of the data)",
          "Last out-of-sample month (YYYY-MM).",
          [](const V& v, S& s) { Periods(s).end_month = v.month; }),
      Inert("multi_period.triggers", "Not read: the rebalancer reads portfolio.threshold_hold."),
      Inert("multi_period.min_funds", "Not read."),
      Inert("multi_period.max_funds", "Not read: portfolio.constraints.max_funds is."),
      Inert("multi_period.weight_curve", "Not read."),
  };
  return std::vector<KeySpec>(std::begin(rows), std::end(rows));
}

std::string_view Parent(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view Leaf(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const std::vector<Choice>& MetricChoices() {
  static const std::vector<Choice> kChoices = ChoicesOf(kMetricNames);
  return kChoices;
}

const std::vector<KeySpec>& ConfigSchema() {
  static const std::vector<KeySpec> kSchema = BuildSchema();
  return kSchema;
}

bool HasFreeKeys(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::kNumberMap:
    case KeyType::kStringMap:
    case KeyType::kMetricWeights:
    case KeyType::kPolicy:
    case KeyType::kLimit:
    case KeyType::kAny:
      return true;
    default:
      return false;
  }
}

const KeySpec* FindConfigKey(std::string_view path) {
  static const std::map<std::string_view, const KeySpec*> kIndex = [] {
    std::map<std::string_view, const KeySpec*> index;
    for (const auto& spec : ConfigSchema()) index.emplace(spec.path, &spec);
    return index;
  }();
  for (std::string_view p = path; !p.empty(); p = Parent(p)) {
    const auto it = kIndex.find(p);
    if (it == kIndex.end()) continue;
    // A longer path only belongs to a row whose entries are free names.
    return p.size() == path.size() || HasFreeKeys(*it->second) ? it->second : nullptr;
  }
  return nullptr;
}

std::string SuggestConfigKey(std::string_view path) {
  // No key is near this long; and the edit distance costs |path| x |key| per row, which a
  // hostile config with long keys would otherwise multiply.
  if (path.size() > 128) return {};
  const std::string_view parent = Parent(path);
  const std::string_view leaf = Leaf(path);
  std::string best;
  std::size_t best_score = std::string::npos;
  for (const auto& spec : ConfigSchema()) {
    // Siblings by leaf name; elsewhere by the whole path (a key put in the wrong section).
    const bool sibling = Parent(spec.path) == parent;
    const std::string_view a = sibling ? leaf : path;
    const std::string_view b = sibling ? Leaf(spec.path) : std::string_view(spec.path);
    std::size_t score = 1;
    if (sibling || Leaf(spec.path) != leaf) {
      // The distance is at least the difference in length: skip rows that cannot win.
      const std::size_t at_least =
          (a.size() > b.size() ? a.size() - b.size() : b.size() - a.size());
      if (at_least + (sibling ? 0 : 1) >= best_score) continue;
      score = EditDistance(a, b) + (sibling ? 0 : 1);
    }
    if (score < best_score) {
      best_score = score;
      best = std::string(spec.path);
    }
  }
  // Close enough to be a typo: at most a third of the leaf's letters changed.
  const std::size_t allowed = std::max<std::size_t>(2, leaf.size() / 3);
  return best_score <= allowed ? best : std::string();
}

}  // namespace trend
