// Typed analysis settings: the whole upstream config schema (config/defaults.yml keys), parsed
// and validated once at the edge (config_loader). The numeric core sees only these structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/date.hpp"
#include "data/missing_policy.hpp"

namespace trend {

// An ordered name -> number mapping, kept in the order the config file gives it.
using NamedValues = std::vector<std::pair<std::string, double>>;

struct DataSettings {
  std::string csv_path;  // resolved against the config file's folder
  std::string date_column = "Date";
  std::optional<std::string> frequency;  // informational: the cadence is detected from the dates
  MissingPolicy load_missing;            // data.missing_policy / data.missing_limit
  bool missing_policy_set = false;       // the file names data.missing_policy (or nan_policy)
  bool missing_limit_set = false;        // the file names data.missing_limit (or nan_limit)
  std::optional<std::string> risk_free_column;
  bool allow_risk_free_fallback = false;
};

enum class VolDecay { kSimple, kEwma };

struct VolAdjustSettings {
  bool enabled = true;      // D1: false means every scale factor is 1
  double target_vol = 1.0;  // the reference's code default when the key is absent
  double floor_vol = 0.0;
  int warmup_periods = 0;
  std::optional<int> window_length;  // default: every in-sample row
  VolDecay decay = VolDecay::kSimple;
  double ewma_lambda = 0.94;
};

// A window bound resolved to a calendar day: month labels give the first or last day.
struct SampleSplitSettings {
  std::optional<Date> in_start, in_end, out_start, out_end;
  std::string method = "date";
  std::optional<int> boundary_month;  // sample_split.date as a month index
  double ratio = 0.7;
};

struct RankSettings {
  std::string inclusion_approach = "top_n";  // top_n | top_pct | threshold
  std::optional<int> n;
  std::optional<double> pct;
  std::optional<double> threshold;
  std::string score_by = "AnnualReturn";  // canonical metric name or "blended"
  NamedValues blended_weights;            // canonical metric name -> weight
  std::string transform = "raw";          // raw | rank | percentile | zscore
  std::optional<int> zscore_window;
  int zscore_ddof = 1;
  double rank_pct = 0.5;
  bool limit_one_per_firm = true;
};

struct ConstraintSettings {
  bool long_only = true;
  std::optional<double> max_weight;  // threshold-hold default 0.18
  int max_funds = 10;                // threshold-hold holdings cap
  double min_weight = 0.05;          // threshold-hold lower bound
  std::optional<int> min_weight_strikes;
  NamedValues group_caps;                     // group -> cap, in file order
  std::map<std::string, std::string> groups;  // fund -> group
};

enum class WeightPolicyMode { kDrop, kCarry, kCash };

struct WeightPolicySettings {
  WeightPolicyMode mode = WeightPolicyMode::kDrop;
  int min_assets = 1;
};

// portfolio.threshold_hold: the Rebalancer's z-score rules (spec §9.4).
struct ThresholdHoldSettings {
  std::optional<int> target_n;  // default portfolio.random_n
  std::string metric = "Sharpe";
  double z_exit_soft = -1.0;
  std::optional<double> z_exit_hard;
  double z_entry_soft = 1.0;
  std::optional<double> z_entry_hard;
  int soft_strikes = 2;
  int entry_soft_strikes = 1;
  std::optional<int> entry_eligible_strikes;  // default max(1, entry_soft_strikes - 1)
  std::optional<int> min_weight_strikes;      // used when constraints do not set it
};

// portfolio.weighting: the threshold-hold weighting of the holdings' scores.
struct HoldingsWeightingSettings {
  std::string name = "equal";  // equal | score_prop | score_prop_bayes | adaptive_bayes
  std::string column = "Sharpe";
  double shrink_tau = 0.25;
  double half_life = 90;
  double obs_sigma = 0.25;
  std::optional<double> max_w;
  double prior_tau = 1.0;
};

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
  std::string policy;  // "threshold_hold" selects the multi-period rebalancer path
  ThresholdHoldSettings threshold_hold;
  HoldingsWeightingSettings weighting;
  std::string selector_rank_column = "Sharpe";  // portfolio.selector.params.rank_column
};

struct RegimeSettings {
  bool enabled = false;
  std::optional<std::string> proxy;
  std::string method = "rolling_return";  // rolling_return | volatility
  int lookback = 126;
  int smoothing = 3;
  double threshold = 0.0;
  double neutral_band = 0.001;
  int min_observations = 6;
  std::string risk_on_label = "Risk-On";
  std::string risk_off_label = "Risk-Off";
  std::optional<std::string> default_label;  // default: the risk-on label
  bool annualise_volatility = true;
};

// The trend signal whose snapshot decides which funds keep weight (spec §6.5).
struct SignalSettings {
  std::optional<int> window;  // default: the risk window length
  std::optional<int> min_periods;
  int lag = 1;
  bool vol_adjust = false;
  std::optional<double> vol_target;
  bool zscore = false;
};

struct ExportSettings {
  std::string directory = "outputs";
  std::vector<std::string> formats;  // csv, json, xlsx, txt
  std::string filename = "analysis";
};

struct MultiPeriodSettings {
  std::string frequency = "A";
  int in_sample_len = 3;
  int out_sample_len = 1;
  std::optional<int> start_month;
  std::optional<int> end_month;
};

struct AnalysisSettings {
  DataSettings data;
  MissingPolicy preprocessing_missing;  // preprocessing.missing_data
  VolAdjustSettings vol_adjust;
  SampleSplitSettings sample_split;
  PortfolioSettings portfolio;
  std::vector<std::pair<std::string, std::string>> benchmarks;  // label -> column
  RegimeSettings regime;
  std::vector<std::string> metrics;  // canonical score-frame metric names
  SignalSettings signals;
  double monthly_cost = 0.0;
  std::uint64_t seed = 42;
  ExportSettings export_settings;
  std::optional<MultiPeriodSettings> multi_period;
};

// The canonical metric names the score frame and rank selection know.
inline const std::vector<std::string>& DefaultScoreMetrics() {
  static const std::vector<std::string> kNames = {
      "AnnualReturn", "Volatility", "Sharpe", "Sortino", "MaxDrawdown", "InformationRatio"};
  return kNames;
}

}  // namespace trend
