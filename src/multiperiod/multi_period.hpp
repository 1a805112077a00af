// The multi-period (walk-forward) backtest, spec §9 with D5: the schedule's periods run through
// the single-period analysis, either directly (the default path) or through the threshold-hold
// rebalancer, then combine into a summary, an execution table, manager contributions and the
// chained out-of-sample equity curve.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "multiperiod/schedule.hpp"
#include "multiperiod/threshold_hold.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

struct PeriodResult {
  Period period;
  AnalysisResult analysis;
  double turnover = 0;          // sum |w - w_previous| over the union of funds
  double transaction_cost = 0;  // turnover x transaction_cost_bps / 10 000, deducted (D5)
  std::vector<ManagerChange> manager_changes;
};

struct SkippedPeriod {
  Period period;
  std::string reason;
};

struct FundSummary {
  std::string name;
  Stats in_sample, out_sample;
  double average_weight = 0;  // D5: mean over all periods (0 where not held)
};

// Combined statistics over the periods (spec §9.5, rf = 0).
struct MultiPeriodSummary {
  Stats in_ew, out_ew, in_user, out_user;
  std::vector<FundSummary> funds;  // in order of first appearance
};

struct ManagerContribution {
  std::string manager;
  int months = 0;
  double years = 0;
  double oos_cagr = 0;
  double contribution = 0;  // sum of weight x scaled out-of-sample return
  double share = 0;         // of the total contribution
};

struct EquityPoint {
  Date date;
  double user_return = 0;  // after costs
  double equity = 1;       // growth of 1 invested at the first out-of-sample month
  double ew_equity = 1;
};

struct MultiPeriodResult {
  std::string policy;  // default | threshold_hold
  bool missing_policy_applied = false;
  std::vector<PeriodResult> periods;
  std::vector<SkippedPeriod> skipped;
  MultiPeriodSummary summary;
  std::vector<ManagerContribution> contributions;
  std::vector<EquityPoint> equity_curve;
  std::vector<std::string> warnings;  // the periods' warnings, each once, in order
};

// Called after each period with (done, total) so a terminal can draw progress.
using PeriodProgress = std::function<void(std::size_t, std::size_t)>;

// The load options of a multi-period run: layer B takes data.missing_policy / missing_limit
// (defaulting to ffill when only the limit is set) rather than preprocessing.missing_data, and
// is skipped (drop) when neither is set (spec §9.2).
// `membership` (data.universe_membership_path, loaded by the caller) blanks returns outside
// each fund's windows.
PrepareOptions MultiPeriodPrepareOptions(const AnalysisSettings& settings,
                                         const Membership* membership = nullptr);

// Requires settings.multi_period. Throws InputError for an unusable schedule or when no
// period can run.
MultiPeriodResult RunMultiPeriod(const PreparedReturns& data, const AnalysisSettings& settings,
                                 const PipelineContext& context = {},
                                 const PeriodProgress& progress = {});

// The default path in parts, so that its periods can run apart (on other workers) and be
// combined here with the same result as RunMultiPeriod:
// the schedule (throws InputError as RunMultiPeriod does; checks the guard's limits), ...
std::vector<Period> MultiPeriodSchedule(const PreparedReturns& data,
                                        const AnalysisSettings& settings,
                                        const PipelineContext& context = {});
// ... one period's analysis, which depends on no other period (throws ConfigError and
// WorkLimitError; any other InputError skips the period, as the reference does) ...
struct PeriodAnalysis {
  std::optional<AnalysisResult> analysis;
  std::string skipped;  // why, when `analysis` is unset
};
PeriodAnalysis AnalysePeriod(const PreparedReturns& data, const AnalysisSettings& settings,
                             const Period& period, const PipelineContext& context = {});
// ... and every period's analysis, in schedule order, combined: turnover against the previous
// period's weights, costs, warnings, the summary. Throws InputError when none ran.
MultiPeriodResult CombinePeriods(const AnalysisSettings& settings,
                                 const std::vector<Period>& schedule,
                                 std::vector<PeriodAnalysis> analyses);

// `raw` prepared with MultiPeriodPrepareOptions, as every period reads it.
PreparedReturns PrepareMultiPeriodReturns(ReturnsFrame raw, const AnalysisSettings& settings,
                                          std::string_view source,
                                          const Membership* membership = nullptr);

// Loads-and-runs convenience for the command: prepares `raw` with MultiPeriodPrepareOptions.
MultiPeriodResult AnalyseMultiPeriod(ReturnsFrame raw, const AnalysisSettings& settings,
                                     std::string_view source, const PipelineContext& context = {},
                                     const PeriodProgress& progress = {},
                                     const Membership* membership = nullptr);

}  // namespace trend
