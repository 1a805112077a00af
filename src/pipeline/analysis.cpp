#include "pipeline/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "error/input_error.hpp"
#include "metrics/score_metric.hpp"
#include "weighting/constraints.hpp"
#include "weighting/vol_targeting.hpp"

namespace trend {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// ---- Sample split (§3) ----

struct Window {
  Date start, end;
};

struct Windows {
  Window in, out;
};

Windows ResolveWindows(const PreparedReturns& data, const SampleSplitSettings& split) {
  Windows w;
  const bool explicit_all = split.in_start && split.in_end && split.out_start && split.out_end;
  if (!explicit_all) {
    std::vector<int> months;
    for (Date d : data.raw_dates) {
      const int m = MonthIndex(d);
      if (months.empty() || months.back() != m) months.push_back(m);
    }
    std::sort(months.begin(), months.end());
    months.erase(std::unique(months.begin(), months.end()), months.end());
    int in_first = months.front(), in_last = months.front();
    int out_first = months.front(), out_last = months.front();
    if (months.size() > 1) {
      bool done = false;
      if (split.method == SplitMethod::kDate && split.boundary_month) {
        const auto cut = std::upper_bound(months.begin(), months.end(), *split.boundary_month);
        if (cut != months.begin() && cut != months.end()) {
          in_first = months.front();
          in_last = *(cut - 1);
          out_first = *cut;
          out_last = months.back();
          done = true;
        }
      }
      if (!done) {
        double ratio = split.ratio;
        if (!std::isfinite(ratio) || ratio <= 0) ratio = 0.5;
        if (ratio >= 1) ratio = 0.9;
        const auto len = static_cast<long>(months.size());
        const long k = std::clamp(
            static_cast<long>(std::nearbyint(static_cast<double>(len) * ratio)), 1L, len - 1);
        in_first = months.front();
        in_last = months[static_cast<std::size_t>(k - 1)];
        out_first = months[static_cast<std::size_t>(k)];
        out_last = months.back();
      }
    }
    w.in = {MonthStartFromIndex(in_first), MonthEndFromIndex(in_last)};
    w.out = {MonthStartFromIndex(out_first), MonthEndFromIndex(out_last)};
  }
  if (split.in_start) w.in.start = *split.in_start;
  if (split.in_end) w.in.end = *split.in_end;
  if (split.out_start) w.out.start = *split.out_start;
  if (split.out_end) w.out.end = *split.out_end;
  return w;
}

std::vector<Eigen::Index> RowsIn(const std::vector<Date>& dates, const Window& w) {
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < dates.size(); ++i) {
    if (dates[i] >= w.start && dates[i] <= w.end) rows.push_back(static_cast<Eigen::Index>(i));
  }
  return rows;
}

// Rows x chosen columns of the panel.
// Sample windows are runs of consecutive panel rows; those are copied as whole segments.
bool IsContiguous(const std::vector<Eigen::Index>& rows) {
  return !rows.empty() && rows.back() - rows.front() + 1 == static_cast<Eigen::Index>(rows.size());
}

Eigen::MatrixXd Slice(const Eigen::MatrixXd& values, const std::vector<Eigen::Index>& rows,
                      const std::vector<std::size_t>& cols) {
  const auto n_rows = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd out(n_rows, static_cast<Eigen::Index>(cols.size()));
  const bool contiguous = IsContiguous(rows);
  for (std::size_t j = 0; j < cols.size(); ++j) {
    const auto source = values.col(static_cast<Eigen::Index>(cols[j]));
    auto target = out.col(static_cast<Eigen::Index>(j));
    if (contiguous) {
      target = source.segment(rows.front(), n_rows);
      continue;
    }
    for (Eigen::Index i = 0; i < n_rows; ++i) target[i] = source[rows[static_cast<std::size_t>(i)]];
  }
  return out;
}

Eigen::VectorXd SliceColumn(const Eigen::MatrixXd& values, const std::vector<Eigen::Index>& rows,
                            std::size_t col) {
  return Slice(values, rows, {col});
}

// ---- Weights (§7) ----

struct WeightOutcome {
  std::map<std::string, double> weights;        // by fund, before the weight policy
  std::map<std::string, double> scale_factors;  // by fund
  std::map<std::string, double> asset_vol;      // by fund
  double turnover_value = kNaN;
  double portfolio_vol = kNaN;
  bool fallback = false;
};

WeightOutcome ConstrainedWeights(const std::vector<std::string>& funds,
                                 const std::vector<double>& base_in_selection_order,
                                 const Eigen::MatrixXd& in_raw,  // selection order
                                 const AnalysisSettings& settings) {
  const auto n = funds.size();
  const VolAdjustSettings& va = settings.vol_adjust;
  WeightOutcome out;
  std::vector<double> vols(n);
  for (std::size_t i = 0; i < n; ++i) {
    vols[i] = RealisedVolatilityLast(in_raw.col(static_cast<Eigen::Index>(i)), va);
    out.asset_vol[funds[i]] = vols[i];
  }

  // Sorted by fund name, as the reference's Series arithmetic aligns.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return funds[a] < funds[b]; });
  std::vector<std::string> sorted_funds;
  Eigen::VectorXd base(static_cast<Eigen::Index>(n));
  Eigen::VectorXd factors(static_cast<Eigen::Index>(n));
  for (std::size_t k = 0; k < n; ++k) {
    sorted_funds.push_back(funds[order[k]]);
    base[static_cast<Eigen::Index>(k)] = base_in_selection_order[order[k]];
  }
  const double base_total = base.sum();
  if (base_total != 0.0) base /= base_total;

  // Missing vols borrow from the neighbouring fund in name order, then the mean, then the
  // smallest positive vol (spec §6.3 step 1); only reachable with an all-NaN last row.
  std::vector<double> sorted_vols(n);
  for (std::size_t k = 0; k < n; ++k) sorted_vols[k] = vols[order[k]];
  for (std::size_t k = 1; k < n; ++k) {
    if (std::isnan(sorted_vols[k])) sorted_vols[k] = sorted_vols[k - 1];
  }
  for (std::size_t k = n - 1; k-- > 0;) {
    if (std::isnan(sorted_vols[k])) sorted_vols[k] = sorted_vols[k + 1];
  }
  for (std::size_t k = 0; k < n; ++k) {
    factors[static_cast<Eigen::Index>(k)] =
        va.enabled ? ScaleFactorFromVol(sorted_vols[k], va) : 1.0;
  }

  const auto& c = settings.portfolio.constraints;
  if (c.max_weight && *c.max_weight * static_cast<double>(n) < 1.0 - 1e-12) {
    throw ConfigError(fmt::format(
        "portfolio.constraints.max_weight = {} is infeasible for {} funds (needs >= {:.4g})",
        *c.max_weight, n, 1.0 / static_cast<double>(n)));
  }

  try {
    Eigen::VectorXd w = ApplyConstraints(base.cwiseProduct(factors), sorted_funds, c);
    std::vector<std::string> names = sorted_funds;
    double turnover = w.cwiseAbs().sum();
    if (settings.portfolio.previous_weights) {
      TurnoverControlled t =
          ApplyTurnoverControls(w, sorted_funds, *settings.portfolio.previous_weights,
                                settings.portfolio.lambda_tc, settings.portfolio.max_turnover);
      turnover = t.turnover;
      // Back to the selected funds (names only in previous_weights are dropped).
      std::map<std::string, double> by_name;
      for (std::size_t i = 0; i < t.funds.size(); ++i)
        by_name[t.funds[i]] = t.weights[static_cast<Eigen::Index>(i)];
      for (std::size_t k = 0; k < n; ++k)
        w[static_cast<Eigen::Index>(k)] = by_name[sorted_funds[k]];
    }
    const double total = w.sum();
    if (total != 0.0) w /= total;
    for (std::size_t k = 0; k < n; ++k) {
      out.weights[sorted_funds[k]] = w[static_cast<Eigen::Index>(k)];
      out.scale_factors[sorted_funds[k]] = factors[static_cast<Eigen::Index>(k)];
    }
    out.turnover_value = turnover;
  } catch (const ConstraintViolation&) {
    // Fallback (§7.7): un-normalised base weights; zero vols are floored here.
    out.fallback = true;
    double min_positive = kNaN;
    for (double v : vols) {
      if (v > 0 && (std::isnan(min_positive) || v < min_positive)) min_positive = v;
    }
    for (std::size_t i = 0; i < n; ++i) {
      double v = std::isnan(vols[i]) ? (std::isnan(min_positive) ? 1.0 : min_positive) : vols[i];
      v = std::max(v, va.floor_vol);
      double factor = va.target_vol / v;
      if (!std::isfinite(factor)) factor = 0.0;
      out.weights[funds[i]] = base_in_selection_order[i];
      out.scale_factors[funds[i]] = va.enabled ? factor : 1.0;
    }
    out.turnover_value = kNaN;
  }

  // Realised vol of the in-sample portfolio with these weights: on raw returns in the main
  // path, on scaled returns in the fallback path, as the reference computes them there.
  Eigen::VectorXd portfolio = Eigen::VectorXd::Zero(in_raw.rows());
  for (std::size_t i = 0; i < n; ++i) {
    const double scale = out.fallback ? out.scale_factors[funds[i]] : 1.0;
    portfolio += out.weights[funds[i]] * scale * in_raw.col(static_cast<Eigen::Index>(i));
  }
  out.portfolio_vol = RealisedVolatilityLast(portfolio, va);
  return out;
}

// ---- Trend signal and weight policy (§6.5, §7.6) ----

// Whether each fund's signal snapshot at the first out-of-sample row is defined. D3: the
// window is cut to the history available, so a long window alone never drops a fund.
std::vector<bool> SignalValid(const Eigen::MatrixXd& span, Eigen::Index first_out_row,
                              const SignalSettings& signal, int default_window) {
  const int window = signal.window.value_or(default_window);
  const Eigen::Index end = first_out_row - signal.lag;  // last row of the window, inclusive
  const Eigen::Index start = std::max<Eigen::Index>(0, end - window + 1);
  const auto available = static_cast<int>(std::max<Eigen::Index>(0, end - start + 1));
  const int min_periods = std::min(signal.min_periods.value_or(window), std::max(available, 1));
  std::vector<double> values(static_cast<std::size_t>(span.cols()), kNaN);
  for (Eigen::Index j = 0; j < span.cols(); ++j) {
    double sum = 0;
    int count = 0;
    for (Eigen::Index r = start; r <= end && r < span.rows(); ++r) {
      if (std::isnan(span(r, j))) continue;
      sum += span(r, j);
      ++count;
    }
    if (count < min_periods || count == 0) continue;
    double value = sum / count;
    if (signal.vol_adjust) {
      const double mean = value;
      double ss = 0;
      for (Eigen::Index r = start; r <= end && r < span.rows(); ++r) {
        if (!std::isnan(span(r, j))) ss += (span(r, j) - mean) * (span(r, j) - mean);
      }
      value *= signal.vol_target.value_or(1.0) / std::sqrt(ss / count);
    }
    values[static_cast<std::size_t>(j)] = std::isfinite(value) ? value : kNaN;
  }
  std::vector<bool> valid(values.size());
  for (std::size_t j = 0; j < values.size(); ++j) {
    valid[j] = signal.zscore || !std::isnan(values[j]);
  }
  return valid;
}

std::vector<double> ApplyWeightPolicy(const std::vector<std::string>& funds,
                                      const std::map<std::string, double>& weights,
                                      const std::vector<bool>& signal_valid,
                                      const PortfolioSettings& portfolio) {
  std::map<std::string, double> previous;
  if (portfolio.previous_weights) {
    for (const auto& [name, w] : *portfolio.previous_weights) previous[name] = w;
  }
  const WeightPolicyMode mode = portfolio.weight_policy.mode;
  std::vector<double> w(funds.size(), 0.0);
  std::vector<bool> keep(funds.size(), true);
  for (std::size_t i = 0; i < funds.size(); ++i) {
    w[i] = weights.at(funds[i]);
    const bool invalid = !std::isfinite(w[i]) || !signal_valid[i];
    if (!invalid) continue;
    if (mode == WeightPolicyMode::kDrop) {
      keep[i] = false;
    } else if (mode == WeightPolicyMode::kCarry) {
      const auto it = previous.find(funds[i]);
      keep[i] = it != previous.end() && std::isfinite(it->second);
      if (keep[i]) w[i] = it->second;
    } else {
      w[i] = 0.0;
    }
  }
  int kept = 0;
  for (std::size_t i = 0; i < funds.size(); ++i) {
    if (!keep[i]) w[i] = 0.0;
    if (mode == WeightPolicyMode::kCash) w[i] = std::max(w[i], 0.0);
    kept += keep[i] ? 1 : 0;
  }
  if (kept < portfolio.weight_policy.min_assets) {
    int valid_previous = 0;
    for (const auto& [name, value] : previous) valid_previous += std::isfinite(value) ? 1 : 0;
    std::vector<double> out(funds.size(), 0.0);
    if (valid_previous >= portfolio.weight_policy.min_assets) {
      for (std::size_t i = 0; i < funds.size(); ++i) {
        const auto it = previous.find(funds[i]);
        if (it != previous.end()) out[i] = it->second;
      }
    }
    return out;
  }
  if (mode != WeightPolicyMode::kCash) {
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& x : w) x = total == 0.0 ? 0.0 : x / total;
  }
  return w;
}

// Scaled returns (§8.1): r x factor - cost, clipped at -1, warm-up rows 0, NaN 0.
Eigen::MatrixXd ScaleReturns(const Eigen::MatrixXd& raw, const std::vector<double>& factors,
                             double monthly_cost, int warmup) {
  Eigen::MatrixXd scaled(raw.rows(), raw.cols());
  for (Eigen::Index j = 0; j < raw.cols(); ++j) {
    const double f = factors[static_cast<std::size_t>(j)];
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
      double x = raw(i, j) * f - monthly_cost;
      if (x < -1.0) x = -1.0;
      if (i < warmup || std::isnan(x)) x = 0.0;
      scaled(i, j) = x;
    }
  }
  return scaled;
}

}  // namespace

AnalysisResult RunAnalysis(const PreparedReturns& data, const AnalysisSettings& settings,
                           const PipelineRegistries& registries) {
  const ReturnsFrame& panel = data.monthly;
  const PortfolioSettings& pf = settings.portfolio;
  const ValidCounts& valid = data.valid;
  AnalysisResult result;
  result.input_frequency = data.input_frequency;
  result.resampled = data.resampled;
  result.universe = panel.columns;

  // The staleness guard (data.max_lag_days against data.as_of), as the reference's API checks.
  if (settings.data.max_lag_days && *settings.data.max_lag_days > 0 && settings.data.as_of &&
      !data.raw_dates.empty()) {
    const Date latest = *std::max_element(data.raw_dates.begin(), data.raw_dates.end());
    const int lag = settings.data.as_of->days - latest.days;
    if (lag > *settings.data.max_lag_days) {
      throw InputError(fmt::format(
          "data.max_lag_days = {}: the data are stale: the latest row, {}, is {} days behind "
          "the as-of date {}",
          *settings.data.max_lag_days, FormatDate(latest), lag, FormatDate(*settings.data.as_of)));
    }
  }

  // Windows.
  const Windows windows = ResolveWindows(data, settings.sample_split);
  const std::vector<Eigen::Index> in_rows = RowsIn(panel.dates, windows.in);
  const std::vector<Eigen::Index> out_rows = RowsIn(panel.dates, windows.out);
  const std::string data_span = fmt::format("{}..{}", FormatMonth(MonthIndex(panel.dates.front())),
                                            FormatMonth(MonthIndex(panel.dates.back())));
  if (in_rows.empty()) {
    throw InputError(
        fmt::format("sample_split: the in-sample window {} to {} has no rows (data covers {})",
                    FormatDate(windows.in.start), FormatDate(windows.in.end), data_span));
  }
  if (out_rows.empty()) {
    throw InputError(
        fmt::format("sample_split: the out-of-sample window {} to {} has no rows (data covers {})",
                    FormatDate(windows.out.start), FormatDate(windows.out.end), data_span));
  }
  for (auto r : in_rows) result.in_dates.push_back(panel.dates[static_cast<std::size_t>(r)]);
  for (auto r : out_rows) result.out_dates.push_back(panel.dates[static_cast<std::size_t>(r)]);
  result.in_start_month = MonthIndex(windows.in.start);
  result.in_end_month = MonthIndex(windows.in.end);
  result.out_start_month = MonthIndex(windows.out.start);
  result.out_end_month = MonthIndex(windows.out.end);

  // Indices (§1.5).
  std::set<std::string> index_set;
  for (const auto& name : pf.indices_list) {
    const auto col = panel.FindColumn(name);
    if (col && ValidCounts::Count(valid, panel.values, *col, in_rows) > 0) {
      result.accepted_indices.push_back(name);
      index_set.insert(name);
    }
  }
  if (!pf.indices_list.empty() && result.accepted_indices.empty()) {
    throw InputError(
        fmt::format("portfolio.indices_list: none of [{}] has data in the in-sample window",
                    JoinNames(pf.indices_list)));
  }

  // Risk-free (§1.4): coverage over the month grid spanning both windows.
  std::vector<Eigen::Index> span_rows = in_rows;
  span_rows.insert(span_rows.end(), out_rows.begin(), out_rows.end());
  const int grid_len = MonthIndex(panel.dates[static_cast<std::size_t>(span_rows.back())]) -
                       MonthIndex(panel.dates[static_cast<std::size_t>(span_rows.front())]) + 1;
  const int min_non_null = std::max(2, static_cast<int>(std::ceil(0.6 * std::max(grid_len, 1))));
  std::vector<std::size_t> ret_cols;
  for (std::size_t j = 0; j < panel.cols(); ++j) {
    if (index_set.count(panel.columns[j])) continue;
    if (ValidCounts::Count(valid, panel.values, j, span_rows) >= min_non_null)
      ret_cols.push_back(j);
  }
  std::size_t rf_col = 0;
  if (settings.data.risk_free_column) {
    const std::string& name = *settings.data.risk_free_column;
    const auto col = panel.FindColumn(name);
    if (!col) {
      throw ConfigError(
          fmt::format("data.risk_free_column = '{}': no such column in the returns (columns: {})",
                      name, JoinNames(panel.columns)));
    }
    if (index_set.count(name)) {
      throw ConfigError(fmt::format(
          "data.risk_free_column = '{}' is also listed in portfolio.indices_list", name));
    }
    if (std::find(ret_cols.begin(), ret_cols.end(), *col) == ret_cols.end()) {
      throw InputError(
          fmt::format("data.risk_free_column = '{}' has too few values in the analysis windows ({} "
                      "of {} months)",
                      name, ValidCounts::Count(valid, panel.values, *col, span_rows), grid_len));
    }
    rf_col = *col;
    result.risk_free_source = "configured";
  } else if (settings.data.allow_risk_free_fallback) {
    if (ret_cols.empty())
      throw InputError("no column has enough data to serve as the risk-free rate");
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t j : ret_cols) {
      const double sd = Volatility(SliceColumn(panel.values, span_rows, j), 1.0);
      if (sd < best) {
        best = sd;
        rf_col = j;
      }
    }
    result.risk_free_source = "fallback";
    result.warnings.push_back(fmt::format(
        "data.risk_free_column is not set and data.allow_risk_free_fallback is true: '{}', "
        "the lowest-volatility column, is used as the risk-free rate",
        panel.columns[rf_col]));
  } else {
    throw ConfigError(
        "no risk-free rate: set data.risk_free_column or enable data.allow_risk_free_fallback");
  }
  result.risk_free_column = panel.columns[rf_col];

  // Fund universe: never the risk-free column, an index or a benchmark column (D2).
  std::set<std::string> excluded = {result.risk_free_column};
  for (const auto& [label, column] : settings.benchmarks) excluded.insert(column);
  std::vector<std::size_t> candidates;
  for (std::size_t j : ret_cols) {
    if (!excluded.count(panel.columns[j])) candidates.push_back(j);
  }
  if (pf.selection_mode == "all" && pf.custom_weights) {
    std::vector<std::size_t> restricted;
    for (std::size_t j : candidates) {
      for (const auto& [name, w] : *pf.custom_weights) {
        if (panel.columns[j] == name) restricted.push_back(j);
      }
    }
    if (restricted.empty()) {
      for (const auto& [name, w] : *pf.custom_weights) {
        const auto col = panel.FindColumn(name);
        if (!col)
          throw InputError(
              fmt::format("portfolio.custom_weights: '{}' is not a column of the returns", name));
        restricted.push_back(*col);
      }
    }
    candidates = restricted;
  }

  // Eligibility (§3.3): complete data in both windows.
  std::vector<std::size_t> eligible;
  std::vector<std::string> eligible_names;
  for (std::size_t j : candidates) {
    if (ValidCounts::Count(valid, panel.values, j, in_rows) == static_cast<int>(in_rows.size()) &&
        ValidCounts::Count(valid, panel.values, j, out_rows) == static_cast<int>(out_rows.size())) {
      eligible.push_back(j);
      eligible_names.push_back(panel.columns[j]);
    }
  }

  // Selection (§5).
  if (pf.selection_mode == "manual") {
    // The reference keeps the listed funds that are eligible and ignores the others.
    for (const auto& name : pf.manual_list) {
      if (!panel.FindColumn(name)) {
        const auto& load = data.load_report.dropped;
        const auto& layer_b = data.panel_report.dropped;
        const bool dropped = std::find(load.begin(), load.end(), name) != load.end() ||
                             std::find(layer_b.begin(), layer_b.end(), name) != layer_b.end();
        result.warnings.push_back(fmt::format("portfolio.manual_list: '{}' is ignored: {}", name,
                                              dropped
                                                  ? "the missing-data policy removed that column"
                                                  : "it is not a column of the returns"));
      }
    }
  }
  const auto model = registries.selection->Create(pf.selection_mode);
  if (!model) {
    throw ConfigError(fmt::format("portfolio.selection_mode = '{}': expected one of {}",
                                  pf.selection_mode, JoinNames(registries.selection->Names())));
  }
  const Eigen::MatrixXd eligible_in = Slice(panel.values, in_rows, eligible);
  const SelectionContext ctx{eligible_names, eligible_in, pf, settings.seed};
  std::vector<std::size_t> fund_cols;
  for (std::size_t pick : model->Select(ctx)) {
    fund_cols.push_back(eligible[pick]);
    result.selected_funds.push_back(eligible_names[pick]);
  }
  if (fund_cols.empty()) {
    throw InputError(fmt::format(
        "no funds selected: {} of {} candidate funds have complete data in both windows and "
        "selection_mode '{}' kept none",
        eligible.size(), candidates.size(), pf.selection_mode));
  }
  const auto& funds = result.selected_funds;
  const std::size_t n = funds.size();

  const Eigen::MatrixXd in_raw = Slice(panel.values, in_rows, fund_cols);
  const Eigen::MatrixXd out_raw = Slice(panel.values, out_rows, fund_cols);
  const Eigen::VectorXd rf_in = SliceColumn(panel.values, in_rows, rf_col);
  const Eigen::VectorXd rf_out = SliceColumn(panel.values, out_rows, rf_col);

  // Score frame (§4.3): raw in-sample, Sharpe vs rf, others vs 0.
  result.score_frame.resize(static_cast<Eigen::Index>(n),
                            static_cast<Eigen::Index>(settings.metrics.size()));
  for (std::size_t m = 0; m < settings.metrics.size(); ++m) {
    const ScoreMetric metric = settings.metrics[m];
    result.score_metrics.emplace_back(NameOf(metric));
    const std::vector<double> column = MetricAcrossColumns(metric, in_raw, &rf_in);
    for (std::size_t i = 0; i < n; ++i) {
      result.score_frame(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(m)) = column[i];
    }
  }

  // Base weights (§7.1).
  std::map<std::string, double> custom_percent;
  if (pf.custom_weights) {
    for (const auto& [name, w] : *pf.custom_weights) custom_percent[name] = w;
  } else if (Lower(pf.weighting_scheme) != "equal") {
    const auto scheme = registries.weighting->Create(pf.weighting_scheme);
    if (!scheme) {
      result.weight_engine_fallback = WeightEngineFallback{
          pf.weighting_scheme,
          fmt::format("unknown weighting scheme '{}'; available: {}", pf.weighting_scheme,
                      JoinNames(registries.weighting->Names()))};
      result.warnings.push_back(fmt::format(
          "portfolio.weighting_scheme = '{}' is not a weighting scheme (available: {}); equal "
          "weights are used, as the reference does",
          pf.weighting_scheme, JoinNames(registries.weighting->Names())));
    } else {
      const Eigen::VectorXd w = scheme->Weights(SampleCovariance(in_raw));
      for (std::size_t i = 0; i < n; ++i) {
        const double wi = w[static_cast<Eigen::Index>(i)];
        custom_percent[funds[i]] = std::isnan(wi) ? 0.0 : wi * 100.0;
      }
    }
  }
  std::vector<double> base(n, 1.0 / static_cast<double>(n));
  if (!custom_percent.empty()) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = custom_percent.find(funds[i]);
      base[i] = it == custom_percent.end() ? 0.0 : it->second / 100.0;
      total += base[i];
    }
    if (total <= 0) std::fill(base.begin(), base.end(), 1.0 / static_cast<double>(n));
  }

  // Volatility targeting, constraints, turnover (§7.3).
  const WeightOutcome weights = ConstrainedWeights(funds, base, in_raw, settings);
  result.used_fallback_weights = weights.fallback;
  result.turnover_value = weights.turnover_value;
  result.portfolio_volatility_last = weights.portfolio_vol;
  for (const auto& f : funds) {
    result.scale_factors.push_back(weights.scale_factors.at(f));
    result.asset_volatility_last.push_back(weights.asset_vol.at(f));
  }

  // Signal and weight policy.
  std::vector<Eigen::Index> signal_rows;
  for (std::size_t i = 0; i < panel.rows(); ++i) {
    if (panel.dates[i] >= windows.in.start && panel.dates[i] <= windows.out.end) {
      signal_rows.push_back(static_cast<Eigen::Index>(i));
    }
  }
  const auto first_out = std::find(signal_rows.begin(), signal_rows.end(), out_rows.front());
  const Eigen::MatrixXd signal_span = Slice(panel.values, signal_rows, fund_cols);
  const int risk_window =
      settings.vol_adjust.window_length.value_or(static_cast<int>(in_rows.size()));
  const std::vector<bool> signal_valid =
      SignalValid(signal_span, static_cast<Eigen::Index>(first_out - signal_rows.begin()),
                  settings.signals, risk_window);
  result.fund_weights = ApplyWeightPolicy(funds, weights.weights, signal_valid, pf);
  result.ew_weights.assign(n, 1.0 / static_cast<double>(n));

  // Scaled returns and portfolios (§8.1-§8.2).
  const int warmup = settings.vol_adjust.warmup_periods;
  result.in_scaled = ScaleReturns(in_raw, result.scale_factors, settings.monthly_cost, warmup);
  result.out_scaled = ScaleReturns(out_raw, result.scale_factors, settings.monthly_cost, warmup);
  const Eigen::Map<const Eigen::VectorXd> user_w(result.fund_weights.data(),
                                                 static_cast<Eigen::Index>(n));
  result.in_ew = result.in_scaled.rowwise().mean();
  result.out_ew = result.out_scaled.rowwise().mean();
  result.in_user = result.in_scaled * user_w;
  result.out_user = result.out_scaled * user_w;
  const Eigen::VectorXd out_ew_raw = out_raw.rowwise().mean();
  const Eigen::VectorXd out_user_raw = out_raw * user_w;

  // Statistics.
  Eigen::VectorXd scratch;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<Eigen::Index>(i);
    result.in_sample_stats.push_back(ComputeStats(result.in_scaled.col(c), rf_in, scratch));
    result.out_sample_stats.push_back(ComputeStats(result.out_scaled.col(c), rf_out, scratch));
    result.out_sample_stats_raw.push_back(ComputeStats(out_raw.col(c), rf_out, scratch));
  }
  result.in_ew_stats = ComputeStats(result.in_ew, rf_in, scratch);
  result.out_ew_stats = ComputeStats(result.out_ew, rf_out, scratch);
  result.out_ew_stats_raw = ComputeStats(out_ew_raw, rf_out, scratch);
  result.in_user_stats = ComputeStats(result.in_user, rf_in, scratch);
  result.out_user_stats = ComputeStats(result.out_user, rf_out, scratch);
  result.out_user_stats_raw = ComputeStats(out_user_raw, rf_out, scratch);
  result.in_rf = rf_in;
  result.out_rf = rf_out;

  // Benchmarks: accepted indices under their own names, then the benchmarks mapping.
  std::vector<std::pair<std::string, std::string>> bench_map;
  for (const auto& idx : result.accepted_indices) bench_map.emplace_back(idx, idx);
  for (const auto& entry : settings.benchmarks) {
    auto it = std::find_if(bench_map.begin(), bench_map.end(),
                           [&](auto& e) { return e.first == entry.first; });
    if (it == bench_map.end())
      bench_map.push_back(entry);
    else
      it->second = entry.second;
  }
  for (const auto& [label, column] : bench_map) {
    const auto col = panel.FindColumn(column);
    if (!col) {
      // The reference skips it silently in single-period runs (and raises in multi-period
      // ones, difference D9); we skip it and say so.
      result.warnings.push_back(
          fmt::format("benchmarks.{} = '{}' is not a column of the returns; it is not reported",
                      label, column));
      continue;
    }
    BenchmarkResult b;
    b.label = label;
    b.column = column;
    const Eigen::VectorXd bench_in = SliceColumn(panel.values, in_rows, *col);
    const Eigen::VectorXd bench_out = SliceColumn(panel.values, out_rows, *col);
    b.in_sample = ComputeStats(bench_in, rf_in, scratch);
    b.out_sample = ComputeStats(bench_out, rf_out, scratch);
    for (std::size_t i = 0; i < n; ++i) {
      scratch = result.out_scaled.col(static_cast<Eigen::Index>(i)) - bench_out;
      b.fund_ir.push_back(InformationRatioOfActive(scratch));
    }
    scratch = out_ew_raw - bench_out;
    b.equal_weight_ir = InformationRatioOfActive(scratch);
    scratch = out_user_raw - bench_out;
    b.user_weight_ir = InformationRatioOfActive(scratch);
    result.benchmarks.push_back(std::move(b));
  }

  // Regime table (§8.4).
  if (settings.regime.enabled && settings.regime.proxy) {
    if (const auto proxy_col = panel.FindColumn(*settings.regime.proxy)) {
      result.regime = BuildRegimeTable(
          panel.dates, panel.values.col(static_cast<Eigen::Index>(*proxy_col)), result.out_dates,
          {{"User", &result.out_user}, {"Equal-Weight", &result.out_ew}}, rf_out, settings.regime);
    }
  }
  return result;
}

}  // namespace trend

namespace trend {

AnalysisResult AnalyseReturns(ReturnsFrame raw, const AnalysisSettings& settings,
                              std::string_view source, const PipelineRegistries& registries) {
  PrepareOptions options;
  options.load_policy = settings.data.load_missing;
  options.panel_policy = settings.preprocessing_missing;
  options.enforce_completeness = !settings.data.allow_risk_free_fallback;
  const PreparedReturns prepared = PrepareReturns(std::move(raw), options, source);
  return RunAnalysis(prepared, settings, registries);
}

}  // namespace trend
