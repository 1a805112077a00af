// Typed analysis settings: the whole upstream config schema (config/defaults.yml keys), parsed
// and validated once at the edge (config_loader). The numeric core sees only these structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/names.hpp"
#include "data/date.hpp"
#include "data/missing_policy.hpp"

namespace trend {

// The score frame's default columns (metrics.registry unset or empty).
inline std::vector<Metric> DefaultScoreMetrics() {
  return {Metric::kAnnualReturn, Metric::kVolatility,  Metric::kSharpe,
          Metric::kSortino,      Metric::kMaxDrawdown, Metric::kInformationRatio};
}

// An ordered name -> number mapping, kept in the order the config file gives it.
using NamedValues = std::vector<std::pair<std::string, double>>;

struct DataSettings {
  std::string csv_path;  // resolved against the config file's folder
  std::string source;    // a database URL (trend ingest's returns); replaces csv_path
  std::string table = "returns";
  std::string stream = "returns";
  std::string date_column = "Date";
  std::optional<std::string> frequency;  // informational: the cadence is detected from the dates
  MissingPolicy load_missing;            // data.missing_policy / data.missing_limit
  bool missing_policy_set = false;       // the file names data.missing_policy (or nan_policy)
  bool missing_limit_set = false;        // the file names data.missing_limit (or nan_limit)
  std::optional<std::string> risk_free_column;
  bool allow_risk_free_fallback = false;
  std::optional<std::string> universe_membership_path;  // resolved like csv_path
  std::optional<int> max_lag_days;                      // staleness guard, with as_of
  std::optional<Date> as_of;

  bool operator==(const DataSettings&) const = default;
};

struct VolAdjustSettings {
  bool enabled = true;      // D1: false means every scale factor is 1
  double target_vol = 1.0;  // the reference's code default when the key is absent
  double floor_vol = 0.0;
  int warmup_periods = 0;
  std::optional<int> window_length;  // default: every in-sample row
  VolDecay decay = VolDecay::kSimple;
  double ewma_lambda = 0.94;

  bool operator==(const VolAdjustSettings&) const = default;
};

// A window bound resolved to a calendar day: month labels give the first or last day.
struct SampleSplitSettings {
  std::optional<Date> in_start, in_end, out_start, out_end;
  SplitMethod method = SplitMethod::kDate;
  std::optional<int> boundary_month;  // sample_split.date as a month index
  double ratio = 0.7;

  bool operator==(const SampleSplitSettings&) const = default;
};

struct RankSettings {
  RankInclusion inclusion_approach = RankInclusion::kTopN;
  std::optional<int> n;
  std::optional<double> pct;
  std::optional<double> threshold;
  bool blended = false;                     // score_by: blended (then blended_weights)
  Metric score_by = Metric::kAnnualReturn;  // when not blended
  std::vector<std::pair<Metric, double>> blended_weights;  // in file order, aliases merged
  RankTransform transform = RankTransform::kRaw;
  std::optional<int> zscore_window;
  int zscore_ddof = 1;
  double rank_pct = 0.5;
  bool limit_one_per_firm = true;

  bool operator==(const RankSettings&) const = default;
};

struct ConstraintSettings {
  bool long_only = true;
  std::optional<double> max_weight;  // threshold-hold default 0.18
  int max_funds = 10;                // threshold-hold holdings cap
  double min_weight = 0.05;          // threshold-hold lower bound
  std::optional<int> min_weight_strikes;
  NamedValues group_caps;                     // group -> cap, in file order
  std::map<std::string, std::string> groups;  // fund -> group

  bool operator==(const ConstraintSettings&) const = default;
};

struct WeightPolicySettings {
  WeightPolicyMode mode = WeightPolicyMode::kDrop;
  int min_assets = 1;

  bool operator==(const WeightPolicySettings&) const = default;
};

// portfolio.threshold_hold: the Rebalancer's z-score rules (spec §9.4).
struct ThresholdHoldSettings {
  std::optional<int> target_n;  // default portfolio.random_n
  HoldColumn metric = HoldColumn::kSharpe;
  double z_exit_soft = -1.0;
  std::optional<double> z_exit_hard;
  double z_entry_soft = 1.0;
  std::optional<double> z_entry_hard;
  int soft_strikes = 2;
  int entry_soft_strikes = 1;
  std::optional<int> entry_eligible_strikes;  // default max(1, entry_soft_strikes - 1)
  std::optional<int> min_weight_strikes;      // used when constraints do not set it

  bool operator==(const ThresholdHoldSettings&) const = default;
};

// portfolio.weighting: the threshold-hold weighting of the holdings' scores.
struct HoldingsWeightingSettings {
  HoldingsWeighting name = HoldingsWeighting::kEqual;
  HoldColumn column = HoldColumn::kSharpe;
  double shrink_tau = 0.25;
  double half_life = 90;
  double obs_sigma = 0.25;
  std::optional<double> max_w;
  double prior_tau = 1.0;

  bool operator==(const HoldingsWeightingSettings&) const = default;
};

// selection_mode and weighting_scheme stay names: they are resolved through the selection and
// weighting registries, which plugins extend.
struct PortfolioSettings {
  std::string selection_mode = "all";
  int random_n = 8;
  std::vector<std::string> manual_list;
  std::optional<NamedValues> custom_weights;  // percent
  RankSettings rank;
  std::vector<std::string> indices_list;
  std::string weighting_scheme = "equal";
  ConstraintSettings constraints;
  std::optional<NamedValues> previous_weights;
  std::optional<double> lambda_tc;
  std::optional<double> max_turnover;
  WeightPolicySettings weight_policy;
  double transaction_cost_bps = 0.0;
  PortfolioPolicy policy = PortfolioPolicy::kDefault;  // threshold_hold: the rebalancer path
  ThresholdHoldSettings threshold_hold;
  HoldingsWeightingSettings weighting;
  HoldColumn selector_rank_column = HoldColumn::kSharpe;  // portfolio.selector.params.rank_column

  bool operator==(const PortfolioSettings&) const = default;
};

struct RegimeSettings {
  bool enabled = false;
  std::optional<std::string> proxy;
  RegimeMethod method = RegimeMethod::kRollingReturn;
  int lookback = 126;
  int smoothing = 3;
  double threshold = 0.0;
  double neutral_band = 0.001;
  int min_observations = 6;
  std::string risk_on_label = "Risk-On";
  std::string risk_off_label = "Risk-Off";
  std::optional<std::string> default_label;  // default: the risk-on label
  bool annualise_volatility = true;

  bool operator==(const RegimeSettings&) const = default;
};

// The trend signal whose snapshot decides which funds keep weight (spec §6.5).
struct SignalSettings {
  std::optional<int> window;  // default: the risk window length
  std::optional<int> min_periods;
  int lag = 1;
  bool vol_adjust = false;
  std::optional<double> vol_target;
  bool zscore = false;

  bool operator==(const SignalSettings&) const = default;
};

struct ExportSettings {
  std::string directory = "outputs";
  std::vector<std::string> formats;  // csv, json, xlsx, txt
  std::string filename = "analysis";

  bool operator==(const ExportSettings&) const = default;
};

struct MultiPeriodSettings {
  PeriodFrequency frequency = PeriodFrequency::kAnnual;
  int in_sample_len = 3;
  int out_sample_len = 1;
  std::optional<int> start_month;
  std::optional<int> end_month;

  bool operator==(const MultiPeriodSettings&) const = default;
};

struct AnalysisSettings {
  DataSettings data;
  MissingPolicy preprocessing_missing;  // preprocessing.missing_data
  VolAdjustSettings vol_adjust;
  SampleSplitSettings sample_split;
  PortfolioSettings portfolio;
  std::vector<std::pair<std::string, std::string>> benchmarks;  // label -> column
  RegimeSettings regime;
  std::vector<Metric> metrics = DefaultScoreMetrics();  // score-frame columns, in order
  SignalSettings signals;
  double monthly_cost = 0.0;
  std::uint64_t seed = 42;
  ExportSettings export_settings;
  std::optional<MultiPeriodSettings> multi_period;

  bool operator==(const AnalysisSettings&) const = default;
};

}  // namespace trend
