// The threshold-hold path of the multi-period engine (spec §9.4 with D5): a Rebalancer that
// exits and enters funds on z-score strikes, one fund per firm, score-based weights with
// low-weight strikes, weight bounds, turnover controls and costs. Each period's holdings and
// weights then run through the single-period analysis as manual selection with custom weights.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/settings.hpp"
#include "multiperiod/schedule.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

struct ManagerChange {
  std::string action;  // added | dropped
  std::string manager;
  std::string firm;
  std::string reason;  // seed | z_entry | z_exit | rebalance | one_per_firm |
                       // low_weight_strikes | replacement | reseat
  std::string detail;
};

// The firm of a fund: the first whitespace-separated word of its name.
std::string FirmOf(const std::string& fund);

// The z-score trigger rules. Strike counts persist between calls, as in the reference.
class Rebalancer {
 public:
  // `rules`: portfolio.threshold_hold; `max_funds`: the holdings cap (constraints.max_funds).
  Rebalancer(const ThresholdHoldSettings& rules, int max_funds)
      : rules_(rules),
        max_funds_(max_funds),
        entry_eligible_strikes_(
            rules.entry_eligible_strikes.value_or(std::max(1, rules.entry_soft_strikes - 1))) {}

  // New holdings from the current ones and this period's z-scores (`names` in score-frame
  // order, `z` parallel; a held fund missing from `names` counts as z = 0). Survivors keep
  // their order; entries follow: hard entries in order, then automatic and eligible ones,
  // each by z descending, while there is room.
  std::vector<std::string> ApplyTriggers(const std::vector<std::string>& holdings,
                                         const std::vector<std::string>& names,
                                         const std::vector<double>& z);

 private:
  ThresholdHoldSettings rules_;
  int max_funds_;
  int entry_eligible_strikes_;
  std::map<std::string, int> exit_strikes_, entry_strikes_;
};

// Weight bounds of spec §9.4 step 6: clip to [0, max_w], raise to min_w, move the excess or the
// deficit proportionally to the room above min_w or below max_w, clip, once more if needed.
// The result may not sum to 1 when the bounds are infeasible.
std::vector<double> ApplyWeightBounds(std::vector<double> w, double min_w, double max_w);

struct ThresholdHoldStep {
  AnalysisResult analysis;
  std::vector<ManagerChange> changes;
  double turnover = 0;
};

class ThresholdHoldEngine {
 public:
  ThresholdHoldEngine(const PreparedReturns& data, const AnalysisSettings& settings);

  // Runs one period; `period_settings` are the period's analysis settings (windows set).
  // Throws InputError when no fund has complete data in the period.
  ThresholdHoldStep Step(const Period& period, AnalysisSettings period_settings,
                         const PipelineContext& context);

 private:
  struct ScoreFrame {
    std::vector<std::string> names;
    std::vector<Stats> stats;
    std::vector<double> metric, zscore;
    std::unordered_map<std::string, std::size_t> index;  // name -> position
    const std::size_t* Find(const std::string& name) const;
    double Metric(const std::string& name) const;
    double Z(const std::string& name) const;
  };

  std::vector<std::size_t> Universe(const Period& period, const std::vector<Eigen::Index>& in_rows,
                                    const std::vector<Eigen::Index>& out_rows) const;
  ScoreFrame Score(const std::vector<std::size_t>& columns,
                   const std::vector<Eigen::Index>& rows) const;
  std::vector<std::string> Holdings(const ScoreFrame& scores, std::vector<ManagerChange>& changes);
  std::vector<double> StrikeLowWeights(std::vector<std::string>& holdings, const ScoreFrame& scores,
                                       std::vector<ManagerChange>& changes);
  std::pair<std::vector<std::string>, std::vector<double>> BoundedWeights(
      const std::vector<std::string>& holdings, const std::vector<double>& natural,
      const ScoreFrame& scores, double& turnover);
  std::vector<std::string> Seed(const ScoreFrame& scores, std::vector<ManagerChange>& changes,
                                const std::string& reason) const;
  std::vector<std::string> OnePerFirm(std::vector<std::string> funds, const ScoreFrame& scores,
                                      std::vector<ManagerChange>* changes) const;
  std::vector<double> NaturalWeights(const std::vector<std::string>& funds,
                                     const ScoreFrame& scores);
  std::vector<double> PolicyWeights(const std::vector<std::string>& funds,
                                    const std::vector<double>& natural,
                                    const ScoreFrame& scores) const;

  const PreparedReturns& data_;
  const AnalysisSettings& settings_;
  std::vector<std::size_t> candidates_;  // panel columns that may be held
  int target_n_ = 8;
  int max_funds_ = 10;
  double min_w_ = 0.05, max_w_ = 0.18;
  int required_strikes_ = 2;
  bool metric_ascending_ = false;  // MaxDrawdown: smaller is better
  Rebalancer rebalancer_;
  std::vector<std::string> holdings_;
  std::map<std::string, double> weights_;  // last period's final (bounded) weights
  std::map<std::string, int> low_weight_strikes_;
  std::map<std::string, double> adaptive_prior_;  // adaptive_bayes: never updated (spec §9.4)
  bool first_ = true;
};

}  // namespace trend
