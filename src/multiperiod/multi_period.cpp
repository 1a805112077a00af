#include "multiperiod/multi_period.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "error/input_error.hpp"
#include "multiperiod/threshold_hold.hpp"

namespace trend {
namespace {

// The settings one period's analysis runs with. The reference's default path passes no
// regime, signal, weight-policy, lambda_tc or metrics settings to the per-period pipeline
// (spec §0.2); D5 keeps the weighting scheme and constraints.
AnalysisSettings PeriodSettings(const AnalysisSettings& base, const Period& period,
                                const PrepareOptions& prepare) {
  AnalysisSettings s = base;
  s.sample_split = SampleSplitSettings{};
  s.sample_split.in_start = MonthStartFromIndex(period.in_start);
  s.sample_split.in_end = MonthEndFromIndex(period.in_end);
  s.sample_split.out_start = MonthStartFromIndex(period.out_start);
  s.sample_split.out_end = MonthEndFromIndex(period.out_end);
  s.regime.enabled = false;
  s.signals = SignalSettings{};
  s.portfolio.weight_policy = WeightPolicySettings{};
  s.portfolio.lambda_tc.reset();
  s.metrics = DefaultScoreMetrics();
  s.preprocessing_missing = prepare.panel_policy;
  return s;
}

using WeightMap = std::map<std::string, double>;

WeightMap WeightsOf(const AnalysisResult& r) {
  WeightMap w;
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i)
    w[r.selected_funds[i]] = r.fund_weights[i];
  return w;
}

double Turnover(const WeightMap& now, const WeightMap& before) {
  double total = 0;
  for (const auto& [name, w] : now) {
    const auto it = before.find(name);
    total += std::abs(w - (it == before.end() ? 0.0 : it->second));
  }
  for (const auto& [name, w] : before) {
    if (!now.count(name)) total += std::abs(w);
  }
  return total;
}

// D5: a period's trading cost is paid when it rebalances, from its first out-of-sample month.
void DeductCost(PeriodResult& p) {
  if (p.transaction_cost == 0.0 || p.analysis.out_user.size() == 0) return;
  AnalysisResult& r = p.analysis;
  r.out_user[0] -= p.transaction_cost;
  Eigen::VectorXd scratch;
  r.out_user_stats = ComputeStats(r.out_user, r.out_rf, scratch);
}

Stats StatsWithoutRiskFree(const std::vector<double>& series) {
  const Eigen::Map<const Eigen::VectorXd> r(series.data(),
                                            static_cast<Eigen::Index>(series.size()));
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(r.size());
  return ComputeStats(r, zero);
}

void Append(std::vector<double>& to, const Eigen::Ref<const Eigen::VectorXd>& series) {
  to.insert(to.end(), series.data(), series.data() + series.size());
}

// Spec §9.5 combined_summary_result, with D5's averaged weights: the periods' series are
// concatenated (in-sample windows overlap, so in-sample months repeat) and measured with rf 0.
MultiPeriodSummary Summarise(const std::vector<PeriodResult>& periods) {
  MultiPeriodSummary out;
  std::vector<double> in_ew, out_ew, in_user, out_user;
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> fund_series;
  std::map<std::string, double> weight_sum;
  for (const auto& p : periods) {
    const AnalysisResult& r = p.analysis;
    Append(in_ew, r.in_ew);
    Append(out_ew, r.out_ew);
    Append(in_user, r.in_user);
    Append(out_user, r.out_user);
    for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
      const std::string& name = r.selected_funds[i];
      auto [it, inserted] = fund_series.try_emplace(name);
      if (inserted) order.push_back(name);
      Append(it->second.first, r.in_scaled.col(static_cast<Eigen::Index>(i)));
      Append(it->second.second, r.out_scaled.col(static_cast<Eigen::Index>(i)));
      weight_sum[name] += r.fund_weights[i];
    }
  }
  out.in_ew = StatsWithoutRiskFree(in_ew);
  out.out_ew = StatsWithoutRiskFree(out_ew);
  out.in_user = StatsWithoutRiskFree(in_user);
  out.out_user = StatsWithoutRiskFree(out_user);
  for (const auto& name : order) {
    FundSummary f;
    f.name = name;
    f.in_sample = StatsWithoutRiskFree(fund_series[name].first);
    f.out_sample = StatsWithoutRiskFree(fund_series[name].second);
    f.average_weight = weight_sum[name] / static_cast<double>(periods.size());
    out.funds.push_back(std::move(f));
  }
  return out;
}

// Spec §9.5 manager_contrib_table.
std::vector<ManagerContribution> Contributions(const std::vector<PeriodResult>& periods) {
  std::map<std::string, ManagerContribution> by_name;
  std::map<std::string, double> growth;
  double total = 0;
  for (const auto& p : periods) {
    const AnalysisResult& r = p.analysis;
    for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
      const double w = r.fund_weights[i];
      if (!(w > 0)) continue;
      const auto col = r.out_scaled.col(static_cast<Eigen::Index>(i));
      ManagerContribution& c = by_name[r.selected_funds[i]];
      c.manager = r.selected_funds[i];
      c.months += static_cast<int>(col.size());
      auto [g, unused] = growth.try_emplace(c.manager, 1.0);
      for (Eigen::Index t = 0; t < col.size(); ++t) {
        c.contribution += w * col[t];
        g->second *= 1.0 + col[t];
      }
      total += w * col.sum();
    }
  }
  std::vector<ManagerContribution> out;
  for (auto& [name, c] : by_name) {
    c.years = c.months / 12.0;
    c.oos_cagr = c.months > 0 ? std::pow(growth[name], 12.0 / c.months) - 1.0 : 0.0;
    c.share = total != 0.0 ? c.contribution / total : 0.0;
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.share != b.share ? a.share > b.share : a.manager < b.manager;
  });
  return out;
}

std::vector<EquityPoint> EquityCurve(const std::vector<PeriodResult>& periods) {
  std::vector<EquityPoint> curve;
  double equity = 1, ew_equity = 1;
  for (const auto& p : periods) {
    const AnalysisResult& r = p.analysis;
    for (Eigen::Index t = 0; t < r.out_user.size(); ++t) {
      equity *= 1.0 + r.out_user[t];
      ew_equity *= 1.0 + r.out_ew[t];
      curve.push_back({r.out_dates[static_cast<std::size_t>(t)], r.out_user[t], equity, ew_equity});
    }
  }
  return curve;
}

}  // namespace

PrepareOptions MultiPeriodPrepareOptions(const AnalysisSettings& settings,
                                         const Membership* membership) {
  PrepareOptions options;
  options.load_policy = settings.data.load_missing;
  options.membership = membership;
  if (settings.data.missing_policy_set || settings.data.missing_limit_set) {
    options.panel_policy = settings.data.load_missing;
    if (!settings.data.missing_policy_set) {
      options.panel_policy.default_policy = MissingPolicyKind::kFfill;
    }
    // Without membership the run-level pass leaves nothing for layer B to enforce; with it,
    // the windows blank values after that pass, and layer B is the pipeline's own (§9.2).
    options.enforce_completeness = true;
    if (membership) {
      options.run_level_policy = options.panel_policy;
      options.enforce_completeness = !settings.data.allow_risk_free_fallback;
    }
  } else {
    options.panel_policy = MissingPolicy{};
    options.enforce_completeness = !settings.data.allow_risk_free_fallback;
  }
  return options;
}

std::vector<Period> MultiPeriodSchedule(const PreparedReturns& data,
                                        const AnalysisSettings& settings,
                                        const PipelineContext& context) {
  if (!settings.multi_period)
    throw InputError("multi_period: the config has no multi_period section");
  const ReturnsFrame& panel = data.monthly;
  std::vector<Period> schedule = GeneratePeriods(
      *settings.multi_period, MonthIndex(panel.dates.front()), MonthIndex(panel.dates.back()));
  if (schedule.empty()) {
    throw InputError(fmt::format(
        "multi_period: no period fits between the start and end (data covers {}..{})",
        FormatMonth(MonthIndex(panel.dates.front())), FormatMonth(MonthIndex(panel.dates.back()))));
  }
  if (context.guard) {
    context.guard->CheckPeriods(schedule.size());
    context.guard->CheckCells(panel.columns.size(), panel.dates.size());
  }
  return schedule;
}

PeriodAnalysis AnalysePeriod(const PreparedReturns& data, const AnalysisSettings& settings,
                             const Period& period, const PipelineContext& context) {
  const AnalysisSettings period_settings =
      PeriodSettings(settings, period, MultiPeriodPrepareOptions(settings));
  PeriodAnalysis out;
  try {
    out.analysis = RunAnalysis(data, period_settings, context);
  } catch (const ConfigError&) {
    throw;  // a config error is the user's to fix, not a period to skip
  } catch (const WorkLimitError&) {
    throw;  // so is a run too large for the limits
  } catch (const InputError& e) {
    out.skipped = e.what();  // the reference logs and skips failed periods
  }
  return out;
}

namespace {

// Periods in schedule order into the result: each period's turnover against the weights of
// the last one that ran, its cost deducted, warnings counted over periods, then the summary.
class PeriodCombiner {
 public:
  explicit PeriodCombiner(const AnalysisSettings& settings)
      : cost_rate_(settings.portfolio.transaction_cost_bps / 10'000.0) {
    out_.missing_policy_applied =
        settings.data.missing_policy_set || settings.data.missing_limit_set;
    out_.policy =
        settings.portfolio.policy == PortfolioPolicy::kThresholdHold ? "threshold_hold" : "default";
  }

  void Skip(const Period& period, std::string reason) {
    out_.skipped.push_back({period, std::move(reason)});
  }

  // `turnover`: the threshold-hold engine's own; otherwise measured against the previous weights.
  void Add(PeriodResult p, std::optional<double> turnover) {
    p.turnover = turnover ? *turnover : Turnover(WeightsOf(p.analysis), previous_);
    p.transaction_cost = p.turnover * cost_rate_;
    DeductCost(p);
    for (const auto& w : p.analysis.warnings) {
      auto it = std::find_if(warnings_.begin(), warnings_.end(),
                             [&](const auto& e) { return e.text == w; });
      if (it == warnings_.end()) {
        warnings_.push_back({w, 1, p.period});
      } else {
        ++it->periods;
      }
    }
    previous_ = WeightsOf(p.analysis);
    out_.periods.push_back(std::move(p));
  }

  MultiPeriodResult Finish(std::size_t scheduled) {
    if (out_.periods.empty()) {
      throw InputError(fmt::format("multi_period: none of the {} periods could run; the first: {}",
                                   scheduled, out_.skipped.front().reason));
    }
    for (const auto& w : warnings_) {
      out_.warnings.push_back(fmt::format(
          "{} (in {} of {} periods, first {}..{})", w.text, w.periods, out_.periods.size(),
          FormatMonth(w.first.in_start), FormatMonth(w.first.out_end)));
    }
    out_.summary = Summarise(out_.periods);
    out_.contributions = Contributions(out_.periods);
    out_.equity_curve = EquityCurve(out_.periods);
    return std::move(out_);
  }

 private:
  struct PeriodWarning {
    std::string text;
    std::size_t periods;
    Period first;
  };
  double cost_rate_;
  MultiPeriodResult out_;
  std::vector<PeriodWarning> warnings_;
  WeightMap previous_;
};

}  // namespace

MultiPeriodResult CombinePeriods(const AnalysisSettings& settings,
                                 const std::vector<Period>& schedule,
                                 std::vector<PeriodAnalysis> analyses) {
  if (analyses.size() != schedule.size())
    throw std::invalid_argument("CombinePeriods: one analysis per scheduled period");
  PeriodCombiner combiner(settings);
  for (std::size_t k = 0; k < schedule.size(); ++k) {
    if (!analyses[k].analysis) {
      combiner.Skip(schedule[k], std::move(analyses[k].skipped));
      continue;
    }
    PeriodResult p;
    p.period = schedule[k];
    p.analysis = std::move(*analyses[k].analysis);
    combiner.Add(std::move(p), std::nullopt);
  }
  return combiner.Finish(schedule.size());
}

MultiPeriodResult RunMultiPeriod(const PreparedReturns& data, const AnalysisSettings& settings,
                                 const PipelineContext& context, const PeriodProgress& progress) {
  const std::vector<Period> schedule = MultiPeriodSchedule(data, settings, context);
  const bool threshold_hold = settings.portfolio.policy == PortfolioPolicy::kThresholdHold;
  PeriodCombiner combiner(settings);
  std::optional<ThresholdHoldEngine> engine;
  if (threshold_hold) engine.emplace(data, settings);
  const PrepareOptions prepare = MultiPeriodPrepareOptions(settings);
  for (std::size_t k = 0; k < schedule.size(); ++k) {
    ThrowIfStopped(context.guard);
    const Period& period = schedule[k];
    if (!engine) {
      PeriodAnalysis a = AnalysePeriod(data, settings, period, context);
      if (a.analysis) {
        PeriodResult p;
        p.period = period;
        p.analysis = std::move(*a.analysis);
        combiner.Add(std::move(p), std::nullopt);
      } else {
        combiner.Skip(period, std::move(a.skipped));
      }
      if (progress) progress(k + 1, schedule.size());
      continue;
    }
    // Threshold-hold: each period starts from the holdings the previous one left.
    PeriodResult p;
    p.period = period;
    try {
      ThresholdHoldStep step =
          engine->Step(period, PeriodSettings(settings, period, prepare), context);
      p.analysis = std::move(step.analysis);
      p.manager_changes = std::move(step.changes);
      const double turnover = step.turnover;
      combiner.Add(std::move(p), turnover);
    } catch (const ConfigError&) {
      throw;
    } catch (const WorkLimitError&) {
      throw;
    } catch (const InputError& e) {
      combiner.Skip(period, e.what());
    }
    if (progress) progress(k + 1, schedule.size());
  }
  return combiner.Finish(schedule.size());
}

PreparedReturns PrepareMultiPeriodReturns(ReturnsFrame raw, const AnalysisSettings& settings,
                                          std::string_view source, const Membership* membership) {
  PreparedReturns prepared =
      PrepareReturns(std::move(raw), MultiPeriodPrepareOptions(settings, membership), source);
  prepared.valid = ValidCounts(prepared.monthly.values);  // every period asks of the same panel
  return prepared;
}

MultiPeriodResult AnalyseMultiPeriod(ReturnsFrame raw, const AnalysisSettings& settings,
                                     std::string_view source, const PipelineContext& context,
                                     const PeriodProgress& progress, const Membership* membership) {
  return RunMultiPeriod(PrepareMultiPeriodReturns(std::move(raw), settings, source, membership),
                        settings, context, progress);
}

}  // namespace trend
