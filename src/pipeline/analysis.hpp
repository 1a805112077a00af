// The single-period analysis: sample split, universe and risk-free, selection, weights with
// volatility targeting and constraints, scaled returns, statistics, benchmarks and regimes
// (spec §3-§8 with D1-D4). Pure computation on a prepared month-end panel.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "data/prepare.hpp"
#include "metrics/metrics.hpp"
#include "pipeline/regime.hpp"
#include "pipeline/run_guard.hpp"
#include "selection/selection_model.hpp"
#include "weighting/weighting_scheme.hpp"

namespace trend {

// What a run is given besides its data and settings: the extension points it resolves by
// name (the app's pipeline proxy and plugins pass their own; by default the built-in models)
// and the guard that bounds it (none by default: no limits, no cancellation).
struct PipelineContext {
  const SelectionRegistry* selection = &BuiltinSelectionModels();
  const WeightingRegistry* weighting = &BuiltinWeightingSchemes();
  const RunGuard* guard = nullptr;
};

struct BenchmarkResult {
  std::string label;
  std::string column;
  Stats in_sample;
  Stats out_sample;
  std::vector<double> fund_ir;  // per selected fund (scaled returns vs the raw benchmark)
  double equal_weight_ir = 0;   // raw equal-weight portfolio vs the benchmark
  double user_weight_ir = 0;
};

struct WeightEngineFallback {
  std::string engine;
  std::string error;
};

struct AnalysisResult {
  // Windows.
  std::vector<Date> in_dates, out_dates;
  int in_start_month = 0, in_end_month = 0, out_start_month = 0, out_end_month = 0;

  // Universe and selection.
  std::vector<std::string> universe;  // every value column after preprocessing
  std::vector<std::string> selected_funds;
  std::string risk_free_column;
  std::string risk_free_source;  // configured | fallback
  std::vector<std::string> accepted_indices;

  // Weights (parallel to selected_funds).
  std::vector<double> fund_weights;
  std::vector<double> ew_weights;
  std::optional<WeightEngineFallback> weight_engine_fallback;
  // What the run substituted or ignored (a risk-free fallback, an unknown scheme or fund).
  std::vector<std::string> warnings;
  std::vector<double> scale_factors;
  std::vector<double> asset_volatility_last;
  double portfolio_volatility_last = 0;
  double turnover_value = 0;
  bool used_fallback_weights = false;

  // Returns: scaled (rows x selected funds) and portfolio series.
  Eigen::MatrixXd in_scaled, out_scaled;
  Eigen::VectorXd in_ew, in_user, out_ew, out_user;
  Eigen::VectorXd in_rf, out_rf;  // the risk-free series the statistics used

  // Statistics (parallel to selected_funds where per fund).
  std::vector<Stats> in_sample_stats, out_sample_stats, out_sample_stats_raw;
  Stats in_ew_stats, out_ew_stats, out_ew_stats_raw;
  Stats in_user_stats, out_user_stats, out_user_stats_raw;
  std::vector<BenchmarkResult> benchmarks;

  // Score frame: in-sample metrics on raw returns, selected funds x metric names.
  std::vector<std::string> score_metrics;
  Eigen::MatrixXd score_frame;

  std::optional<RegimeTable> regime;

  // Preprocessing facts.
  Frequency input_frequency = Frequency::kMonthly;
  bool resampled = false;
};

AnalysisResult RunAnalysis(const PreparedReturns& data, const AnalysisSettings& settings,
                           const PipelineContext& context = {});

}  // namespace trend

namespace trend {

// Prepares a loaded returns file with the settings' missing-data policies and runs the
// analysis: what `trend run` does after reading its inputs. `source` names the file in errors.
AnalysisResult AnalyseReturns(ReturnsFrame raw, const AnalysisSettings& settings,
                              std::string_view source, const PipelineContext& context = {});

}  // namespace trend
