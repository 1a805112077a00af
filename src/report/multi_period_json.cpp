#include "report/multi_period_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "report/json_report.hpp"

namespace trend {
namespace {

using nlohmann::json;

json Number(double x) {
  return std::isnan(x) ? json(nullptr) : json(x);
}

json PeriodToJson(const PeriodResult& p, bool missing_policy_applied) {
  json out = AnalysisToJson(p.analysis);
  out["period"] = PeriodDates(p.period);
  out["turnover"] = Number(p.turnover);
  out["transaction_cost"] = Number(p.transaction_cost);
  json changes = json::array();
  for (const auto& c : p.manager_changes) {
    changes.push_back({{"action", c.action},
                       {"manager", c.manager},
                       {"firm", c.firm},
                       {"reason", c.reason},
                       {"detail", c.detail}});
  }
  out["manager_changes"] = std::move(changes);
  out["missing_policy_applied"] = missing_policy_applied;
  out["missing_policy_reason"] = missing_policy_applied ? "applied" : "not_configured";
  return out;
}

json SummaryToJson(const MultiPeriodSummary& s) {
  json in_funds = json::object(), out_funds = json::object(), weights = json::object();
  for (const auto& f : s.funds) {
    in_funds[f.name] = StatsToJson(f.in_sample);
    out_funds[f.name] = StatsToJson(f.out_sample);
    weights[f.name] = Number(f.average_weight);
  }
  return json{
      {"in_ew_stats", StatsToJson(s.in_ew)},     {"out_ew_stats", StatsToJson(s.out_ew)},
      {"in_user_stats", StatsToJson(s.in_user)}, {"out_user_stats", StatsToJson(s.out_user)},
      {"in_sample_stats", std::move(in_funds)},  {"out_sample_stats", std::move(out_funds)},
      {"fund_weights", std::move(weights)},      {"benchmark_ir", json::object()}};
}

}  // namespace

json MultiPeriodToJson(const MultiPeriodResult& r) {
  json periods = json::array();
  for (const auto& p : r.periods) periods.push_back(PeriodToJson(p, r.missing_policy_applied));
  json execution = json::array();
  for (const auto& p : r.periods) {
    execution.push_back({{"period", FormatDate(MonthEndFromIndex(p.period.out_end))},
                         {"turnover", Number(p.turnover)},
                         {"transaction_cost", Number(p.transaction_cost)}});
  }
  json contributions = json::array();
  for (const auto& c : r.contributions) {
    contributions.push_back({{"manager", c.manager},
                             {"months", c.months},
                             {"years", c.years},
                             {"oos_cagr", Number(c.oos_cagr)},
                             {"contribution", Number(c.contribution)},
                             {"contribution_share", Number(c.share)}});
  }
  json curve = json::array();
  for (const auto& e : r.equity_curve) {
    curve.push_back({{"date", FormatDate(e.date)},
                     {"user_return", Number(e.user_return)},
                     {"equity", Number(e.equity)},
                     {"ew_equity", Number(e.ew_equity)}});
  }
  json skipped = json::array();
  for (const auto& s : r.skipped) {
    skipped.push_back({{"period", PeriodDates(s.period)}, {"reason", s.reason}});
  }
  return json{{"policy", r.policy},
              {"n_periods", r.periods.size()},
              {"periods", std::move(periods)},
              {"summary", SummaryToJson(r.summary)},
              {"execution", std::move(execution)},
              {"manager_contribution", std::move(contributions)},
              {"equity_curve", std::move(curve)},
              {"skipped_periods", std::move(skipped)}};
}

}  // namespace trend
