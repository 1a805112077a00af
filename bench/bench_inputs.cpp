#include "bench_inputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "data/date.hpp"

namespace trend::bench {

std::string MakeReturnsCsv(const PanelShape& shape) {
  std::mt19937_64 gen(shape.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::student_t_distribution<double> tails(5.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double per_year = shape.daily ? 365.0 : 12.0;
  const double vol_scale = 1.0 / std::sqrt(per_year);

  std::vector<Date> dates;
  Date d = DateFromCivil(shape.start_year, 1, 1);
  for (int t = 0; t < shape.periods; ++t) {
    if (shape.daily) {
      dates.push_back(Date{d.days + t});
    } else {
      dates.push_back(MonthEndFromIndex(shape.start_year * 12 + t));
    }
  }
  const int n = shape.funds;
  std::vector<double> beta(n), alpha(n), sigma(n);
  std::vector<int> start(n, 0), stop(n, shape.periods);
  for (int i = 0; i < n; ++i) {
    beta[i] = 0.2 + 0.6 * uniform(gen);
    alpha[i] = (0.02 + 0.06 * uniform(gen)) / per_year;
    sigma[i] = (0.06 + 0.14 * uniform(gen)) * vol_scale;
    const double kind = uniform(gen);
    if (kind < 0.15)
      start[i] = static_cast<int>(uniform(gen) * shape.periods * 0.5);  // late start
    else if (kind < 0.27)
      stop[i] = shape.periods - static_cast<int>(uniform(gen) * shape.periods * 0.3);  // closure
  }
  std::string csv = "Date";
  for (int i = 0; i < n; ++i) csv += fmt::format(",F{:03d}", i + 1);
  csv += ",MKT,RF\n";
  std::vector<int> hole_left(n, 0);
  for (int t = 0; t < shape.periods; ++t) {
    const double market = 0.07 / per_year + 0.15 * vol_scale * normal(gen);
    csv += FormatDate(dates[t]);
    for (int i = 0; i < n; ++i) {
      const double r =
          std::clamp(alpha[i] + beta[i] * market + sigma[i] * tails(gen) * 0.77, -0.6, 2.0);
      if (hole_left[i] == 0 && uniform(gen) < 0.002)
        hole_left[i] = 1 + static_cast<int>(uniform(gen) * 3);
      const bool missing = t < start[i] || t >= stop[i] || hole_left[i] > 0;
      if (hole_left[i] > 0) --hole_left[i];
      csv += missing ? std::string(",") : fmt::format(",{:.12g}", r);
    }
    csv += fmt::format(",{:.12g},{:.12g}\n", market, 0.02 / per_year);
  }
  return csv;
}

std::string MakeRankHrpConfig(const std::string& csv_path, int first_year, int split_year,
                              int last_year) {
  return fmt::format(
      "data: {{csv_path: '{}', risk_free_column: RF, missing_policy: ffill, missing_limit: 3}}\n"
      "preprocessing: {{missing_data: {{policy: ffill, limit: 3}}}}\n"
      "vol_adjust: {{enabled: true, target_vol: 0.10}}\n"
      "sample_split: {{in_start: '{}-01', in_end: '{}-12', out_start: '{}-01', out_end: '{}-12'}}\n"
      "portfolio:\n"
      "  selection_mode: rank\n"
      "  weighting_scheme: hrp\n"
      "  indices_list: [MKT]\n"
      "  rank: {{inclusion_approach: top_n, n: 50, score_by: Sharpe}}\n"
      "benchmarks: {{mkt: MKT}}\n"
      "regime: {{enabled: true, proxy: MKT, lookback: 12, smoothing: 3, min_observations: 3}}\n"
      "export: {{formats: [csv, json], directory: bench-exports}}\n",
      csv_path, first_year, split_year - 1, split_year, last_year);
}

std::string MakeMultiPeriodConfig(const std::string& csv_path, int first_year, int last_year) {
  return MakeRankHrpConfig(csv_path, first_year, first_year + 3, first_year + 3) +
         fmt::format(
             "multi_period: {{frequency: A, in_sample_len: 3, out_sample_len: 1, start: '{}-01', "
             "end: '{}-12'}}\n",
             first_year, last_year);
}

std::string MakeThresholdHoldConfig(const std::string& csv_path, int first_year, int last_year) {
  return fmt::format(
      "data: {{csv_path: '{}', risk_free_column: RF, missing_policy: ffill, missing_limit: 3}}\n"
      "vol_adjust: {{enabled: true, target_vol: 0.10}}\n"
      "portfolio:\n"
      "  selection_mode: rank\n"
      "  indices_list: [MKT]\n"
      "  policy: threshold_hold\n"
      "  threshold_hold: {{target_n: 20, metric: Sharpe, z_exit_soft: -0.5, z_exit_hard: -1.5,\n"
      "                   z_entry_soft: 1.0, z_entry_hard: 2.0, soft_strikes: 2,\n"
      "                   entry_soft_strikes: 2}}\n"
      "  constraints: {{max_funds: 25, min_weight: 0.02, max_weight: 0.15, "
      "min_weight_strikes: 2}}\n"
      "  weighting: {{name: score_prop_bayes, params: {{column: Sharpe, shrink_tau: 0.25}}}}\n"
      "  lambda_tc: 0.25\n"
      "  max_turnover: 0.6\n"
      "  transaction_cost_bps: 10\n"
      "benchmarks: {{mkt: MKT}}\n"
      "export: {{formats: [csv], directory: bench-exports}}\n"
      "multi_period: {{frequency: Q, in_sample_len: 8, out_sample_len: 1, start: '{}-01', "
      "end: '{}-12'}}\n",
      csv_path, first_year, last_year);
}

}  // namespace trend::bench
