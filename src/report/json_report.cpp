#include "report/json_report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace trend {
namespace {

using nlohmann::json;

json Number(double x) {
  return std::isnan(x) ? json(nullptr) : json(x);
}

json Optional(const std::optional<double>& x) {
  return x ? Number(*x) : json(nullptr);
}

json ByFund(const std::vector<std::string>& funds, const std::vector<double>& values) {
  json out = json::object();
  for (std::size_t i = 0; i < funds.size(); ++i) out[funds[i]] = Number(values[i]);
  return out;
}

json StatsByFund(const std::vector<std::string>& funds, const std::vector<Stats>& stats) {
  json out = json::object();
  for (std::size_t i = 0; i < funds.size(); ++i) out[funds[i]] = StatsToJson(stats[i]);
  return out;
}

json Series(const std::vector<Date>& dates, const Eigen::VectorXd& values) {
  json out = json::object();
  for (std::size_t i = 0; i < dates.size(); ++i) {
    out[FormatDate(dates[i])] = Number(values[static_cast<Eigen::Index>(i)]);
  }
  return out;
}

// [first, last] dates of a window; null for an empty one (e.g. a plugin's partial result).
json Span(const std::vector<Date>& dates) {
  if (dates.empty()) return nullptr;
  return {FormatDate(dates.front()), FormatDate(dates.back())};
}

}  // namespace

json StatsToJson(const Stats& s) {
  return json{{"cagr", Number(s.cagr)},
              {"vol", Number(s.vol)},
              {"sharpe", Number(s.sharpe)},
              {"sortino", Number(s.sortino)},
              {"information_ratio", Number(s.information_ratio)},
              {"max_drawdown", Number(s.max_drawdown)}};
}

json AnalysisToJson(const AnalysisResult& r) {
  const auto& funds = r.selected_funds;
  json out;
  out["selected_funds"] = funds;
  out["risk_free_column"] = r.risk_free_column;
  out["risk_free_source"] = r.risk_free_source;
  out["fund_weights"] = ByFund(funds, r.fund_weights);
  out["ew_weights"] = ByFund(funds, r.ew_weights);
  out["weight_engine_fallback"] = r.weight_engine_fallback
                                      ? json{{"engine", r.weight_engine_fallback->engine},
                                             {"error", r.weight_engine_fallback->error}}
                                      : json(nullptr);
  out["in_sample_stats"] = StatsByFund(funds, r.in_sample_stats);
  out["out_sample_stats"] = StatsByFund(funds, r.out_sample_stats);
  out["out_sample_stats_raw"] = StatsByFund(funds, r.out_sample_stats_raw);
  out["in_ew_stats"] = StatsToJson(r.in_ew_stats);
  out["out_ew_stats"] = StatsToJson(r.out_ew_stats);
  out["out_ew_stats_raw"] = StatsToJson(r.out_ew_stats_raw);
  out["in_user_stats"] = StatsToJson(r.in_user_stats);
  out["out_user_stats"] = StatsToJson(r.out_user_stats);
  out["out_user_stats_raw"] = StatsToJson(r.out_user_stats_raw);

  json bench_stats = json::object();
  json bench_ir = json::object();
  for (const auto& b : r.benchmarks) {
    bench_stats[b.label] = {{"in_sample", StatsToJson(b.in_sample)},
                            {"out_sample", StatsToJson(b.out_sample)}};
    json ir = ByFund(funds, b.fund_ir);
    ir["equal_weight"] = Number(b.equal_weight_ir);
    ir["user_weight"] = Number(b.user_weight_ir);
    bench_ir[b.label] = std::move(ir);
  }
  out["benchmark_stats"] = std::move(bench_stats);
  out["benchmark_ir"] = std::move(bench_ir);

  json score = json::object();
  for (std::size_t i = 0; i < funds.size(); ++i) {
    json row = json::object();
    for (std::size_t m = 0; m < r.score_metrics.size(); ++m) {
      row[r.score_metrics[m]] =
          Number(r.score_frame(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(m)));
    }
    score[funds[i]] = std::move(row);
  }
  out["score_frame"] = std::move(score);
  out["score_frame_attrs"] = {
      {"insample_len", r.in_dates.size()},
      {"period", {FormatMonth(r.in_start_month), FormatMonth(r.in_end_month)}}};

  out["risk_diagnostics"] = {{"scale_factors", ByFund(funds, r.scale_factors)},
                             {"final_weights", ByFund(funds, r.fund_weights)},
                             {"turnover_value", Number(r.turnover_value)},
                             {"asset_volatility_last", ByFund(funds, r.asset_volatility_last)},
                             {"portfolio_volatility_last", Number(r.portfolio_volatility_last)},
                             {"used_fallback_weights", r.used_fallback_weights}};
  out["preprocessing"] = {{"input_frequency", std::string(1, FrequencyCode(r.input_frequency))},
                          {"resampled_to_monthly", r.resampled}};
  out["n_in_sample_rows"] = r.in_dates.size();
  out["n_out_sample_rows"] = r.out_dates.size();
  out["in_sample_dates"] = Span(r.in_dates);
  out["out_sample_dates"] = Span(r.out_dates);
  out["portfolio_returns"] = {{"in_ew", Series(r.in_dates, r.in_ew)},
                              {"in_user", Series(r.in_dates, r.in_user)},
                              {"out_ew", Series(r.out_dates, r.out_ew)},
                              {"out_user", Series(r.out_dates, r.out_user)}};
  if (r.regime) {
    json table = json::object();
    for (const auto& cell : r.regime->cells) {
      table["CAGR"][cell.column] = Optional(cell.cagr);
      table["Sharpe"][cell.column] = Optional(cell.sharpe);
      table["Max Drawdown"][cell.column] = Optional(cell.max_drawdown);
      table["Hit Rate"][cell.column] = Optional(cell.hit_rate);
      table["Observations"][cell.column] = cell.observations;
    }
    out["performance_by_regime"] = std::move(table);
  } else {
    out["performance_by_regime"] = nullptr;
  }
  out["universe"] = r.universe;
  return out;
}

std::string AnalysisToJsonText(const AnalysisResult& result, int indent) {
  return AnalysisToJson(result).dump(indent);
}

}  // namespace trend
