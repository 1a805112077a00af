#include "pipeline/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "error/input_error.hpp"
#include "metrics/score_metric.hpp"
#include "pipeline/risk_free.hpp"
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

// The steps of one analysis, in the order of spec §0.3. Each fills its part of the result.
class Analysis {
 public:
  Analysis(const PreparedReturns& data, const AnalysisSettings& settings,
           const PipelineContext& context)
      : data_(data),
        panel_(data.monthly),
        valid_(data.valid),
        settings_(settings),
        pf_(settings.portfolio),
        context_(context) {
    result_.input_frequency = data.input_frequency;
    result_.resampled = data.resampled;
    result_.universe = panel_.columns;
  }

  // Between steps the guard may stop the run (a deadline, a shutdown).
  AnalysisResult Run() {
    if (context_.guard) context_.guard->CheckCells(panel_.columns.size(), panel_.dates.size());
    Checkpoint();
    CheckStaleness();
    ResolveRows();
    AcceptIndices();
    ChooseRiskFreeColumn();
    const std::vector<std::size_t> candidates = FundCandidates();
    SelectFunds(candidates);
    Checkpoint();
    ScoreFrame();
    Checkpoint();
    const WeightOutcome weights =
        ConstrainedWeights(result_.selected_funds, BaseWeights(), in_raw_, settings_);
    Checkpoint();
    FinalWeights(weights);
    PortfolioStatistics();
    Checkpoint();
    Benchmarks();
    Regimes();
    return std::move(result_);
  }

 private:
  void Checkpoint() const { ThrowIfStopped(context_.guard); }

  // AvgCorr compares every pair of funds: bounded like a covariance matrix.
  void CheckPairwise(std::size_t funds, bool avg_corr, const char* where) const {
    if (context_.guard && avg_corr) {
      context_.guard->CheckPairwiseFunds(funds, fmt::format("the AvgCorr metric in {}", where));
    }
  }

  // The reference's execution-lag guard (data.max_lag_days against data.as_of).
  void CheckStaleness() const {
    const auto& d = settings_.data;
    if (!d.max_lag_days || *d.max_lag_days <= 0 || !d.as_of || data_.raw_dates.empty()) return;
    const Date latest = *std::max_element(data_.raw_dates.begin(), data_.raw_dates.end());
    const int lag = d.as_of->days - latest.days;
    if (lag > *d.max_lag_days) {
      throw InputError(fmt::format(
          "data.max_lag_days = {}: the data are stale: the latest row, {}, is {} days behind "
          "the as-of date {}",
          *d.max_lag_days, FormatDate(latest), lag, FormatDate(*d.as_of)));
    }
  }

  // The two windows (§3) as panel rows.
  void ResolveRows() {
    windows_ = ResolveWindows(data_, settings_.sample_split);
    in_rows_ = RowsIn(panel_.dates, windows_.in);
    out_rows_ = RowsIn(panel_.dates, windows_.out);
    const std::string span = fmt::format("{}..{}", FormatMonth(MonthIndex(panel_.dates.front())),
                                         FormatMonth(MonthIndex(panel_.dates.back())));
    for (const auto& [rows, window, label] :
         {std::tuple{&in_rows_, windows_.in, "in-sample"},
          std::tuple{&out_rows_, windows_.out, "out-of-sample"}}) {
      if (rows->empty()) {
        throw InputError(
            fmt::format("sample_split: the {} window {} to {} has no rows (data "
                        "covers {})",
                        label, FormatDate(window.start), FormatDate(window.end), span));
      }
    }
    for (auto r : in_rows_) result_.in_dates.push_back(panel_.dates[static_cast<std::size_t>(r)]);
    for (auto r : out_rows_) result_.out_dates.push_back(panel_.dates[static_cast<std::size_t>(r)]);
    result_.in_start_month = MonthIndex(windows_.in.start);
    result_.in_end_month = MonthIndex(windows_.in.end);
    result_.out_start_month = MonthIndex(windows_.out.start);
    result_.out_end_month = MonthIndex(windows_.out.end);
  }

  // Indices (§1.5): listed columns with data in the in-sample window.
  void AcceptIndices() {
    for (const auto& name : pf_.indices_list) {
      const auto col = panel_.FindColumn(name);
      if (col && ValidCounts::Count(valid_, panel_.values, *col, in_rows_) > 0) {
        result_.accepted_indices.push_back(name);
        indices_.insert(name);
      }
    }
    if (!pf_.indices_list.empty() && result_.accepted_indices.empty()) {
      throw InputError(
          fmt::format("portfolio.indices_list: none of [{}] has data in the in-sample window",
                      JoinNames(pf_.indices_list)));
    }
  }

  // Risk-free (§1.4): coverage over the month grid spanning both windows.
  void ChooseRiskFreeColumn() {
    span_rows_ = in_rows_;
    span_rows_.insert(span_rows_.end(), out_rows_.begin(), out_rows_.end());
    const int months = MonthIndex(panel_.dates[static_cast<std::size_t>(span_rows_.back())]) -
                       MonthIndex(panel_.dates[static_cast<std::size_t>(span_rows_.front())]) + 1;
    covered_ = WellCoveredColumns(panel_, valid_, span_rows_, months, indices_);
    const RiskFreeChoice choice =
        ChooseRiskFree(panel_, valid_, span_rows_, months, covered_, indices_, settings_.data);
    rf_col_ = choice.column;
    result_.risk_free_column = panel_.columns[rf_col_];
    result_.risk_free_source = choice.fallback ? "fallback" : "configured";
    if (!choice.warning.empty()) result_.warnings.push_back(choice.warning);
    rf_in_ = SliceColumn(panel_.values, in_rows_, rf_col_);
    rf_out_ = SliceColumn(panel_.values, out_rows_, rf_col_);
  }

  // Fund universe: never the risk-free column, an index or a benchmark column (D2); in `all`
  // mode custom weights restrict it (§5.1).
  std::vector<std::size_t> FundCandidates() const {
    std::set<std::string> excluded = {result_.risk_free_column};
    for (const auto& [label, column] : settings_.benchmarks) excluded.insert(column);
    std::vector<std::size_t> candidates;
    for (std::size_t j : covered_) {
      if (!excluded.count(panel_.columns[j])) candidates.push_back(j);
    }
    if (pf_.selection_mode != "all" || !pf_.custom_weights) return candidates;
    std::vector<std::size_t> restricted;
    for (std::size_t j : candidates) {
      for (const auto& [name, w] : *pf_.custom_weights) {
        if (panel_.columns[j] == name) restricted.push_back(j);
      }
    }
    if (restricted.empty()) {
      for (const auto& [name, w] : *pf_.custom_weights) {
        const auto col = panel_.FindColumn(name);
        if (!col) {
          throw InputError(
              fmt::format("portfolio.custom_weights: '{}' is not a column of the returns", name));
        }
        restricted.push_back(*col);
      }
    }
    return restricted;
  }

  // Eligibility (§3.3), then the selection model (§5).
  void SelectFunds(const std::vector<std::size_t>& candidates) {
    std::vector<std::size_t> eligible;
    std::vector<std::string> eligible_names;
    for (std::size_t j : candidates) {
      if (ValidCounts::CompleteIn(valid_, panel_.values, j, in_rows_, out_rows_)) {
        eligible.push_back(j);
        eligible_names.push_back(panel_.columns[j]);
      }
    }
    if (pf_.selection_mode == "manual") WarnUnknownManualFunds();
    const auto model = context_.selection->Create(pf_.selection_mode);
    if (!model) {
      throw ConfigError(fmt::format("portfolio.selection_mode = '{}': expected one of {}",
                                    pf_.selection_mode, JoinNames(context_.selection->Names())));
    }
    if (pf_.selection_mode == "rank") {
      const auto& rank = pf_.rank;
      bool avg_corr = !rank.blended && rank.score_by == ScoreMetric::kAvgCorr;
      if (rank.blended) {
        for (const auto& [metric, weight] : rank.blended_weights) {
          avg_corr = avg_corr || metric == ScoreMetric::kAvgCorr;
        }
      }
      CheckPairwise(eligible.size(), avg_corr, "portfolio.rank");
    }
    const Eigen::MatrixXd eligible_in = Slice(panel_.values, in_rows_, eligible);
    const SelectionContext ctx{eligible_names, eligible_in, pf_, settings_.seed};
    for (std::size_t pick : model->Select(ctx)) {
      fund_cols_.push_back(eligible[pick]);
      result_.selected_funds.push_back(eligible_names[pick]);
    }
    if (fund_cols_.empty()) {
      throw InputError(fmt::format(
          "no funds selected: {} of {} candidate funds have complete data in both windows and "
          "selection_mode '{}' kept none",
          eligible.size(), candidates.size(), pf_.selection_mode));
    }
    in_raw_ = Slice(panel_.values, in_rows_, fund_cols_);
    out_raw_ = Slice(panel_.values, out_rows_, fund_cols_);
  }

  // The reference keeps the listed funds that are eligible and ignores the others.
  void WarnUnknownManualFunds() {
    for (const auto& name : pf_.manual_list) {
      if (panel_.FindColumn(name)) continue;
      const auto& load = data_.load_report.dropped;
      const auto& layer_b = data_.panel_report.dropped;
      const bool dropped = std::find(load.begin(), load.end(), name) != load.end() ||
                           std::find(layer_b.begin(), layer_b.end(), name) != layer_b.end();
      result_.warnings.push_back(fmt::format("portfolio.manual_list: '{}' is ignored: {}", name,
                                             dropped ? "the missing-data policy removed that column"
                                                     : "it is not a column of the returns"));
    }
  }

  // Score frame (§4.3): raw in-sample, Sharpe vs rf, others vs 0.
  void ScoreFrame() {
    const auto n = static_cast<Eigen::Index>(result_.selected_funds.size());
    result_.score_frame.resize(n, static_cast<Eigen::Index>(settings_.metrics.size()));
    CheckPairwise(result_.selected_funds.size(),
                  std::find(settings_.metrics.begin(), settings_.metrics.end(),
                            ScoreMetric::kAvgCorr) != settings_.metrics.end(),
                  "metrics");
    for (std::size_t m = 0; m < settings_.metrics.size(); ++m) {
      const ScoreMetric metric = settings_.metrics[m];
      result_.score_metrics.emplace_back(NameOf(metric));
      const std::vector<double> column = MetricAcrossColumns(metric, in_raw_, &rf_in_);
      for (Eigen::Index i = 0; i < n; ++i) {
        result_.score_frame(i, static_cast<Eigen::Index>(m)) = column[static_cast<std::size_t>(i)];
      }
    }
  }

  // Base weights (§7.1): custom weights, else the weighting scheme's, else equal.
  std::vector<double> BaseWeights() {
    const auto& funds = result_.selected_funds;
    const std::size_t n = funds.size();
    std::map<std::string, double> custom_percent;
    if (pf_.custom_weights) {
      for (const auto& [name, w] : *pf_.custom_weights) custom_percent[name] = w;
    } else if (Lower(pf_.weighting_scheme) != "equal") {
      const auto scheme = context_.weighting->Create(pf_.weighting_scheme);
      if (!scheme) {
        const std::string available = JoinNames(context_.weighting->Names());
        result_.weight_engine_fallback = WeightEngineFallback{
            pf_.weighting_scheme, fmt::format("unknown weighting scheme '{}'; available: {}",
                                              pf_.weighting_scheme, available)};
        result_.warnings.push_back(fmt::format(
            "portfolio.weighting_scheme = '{}' is not a weighting scheme (available: {}); equal "
            "weights are used, as the reference does",
            pf_.weighting_scheme, available));
      } else {
        if (context_.guard) {
          context_.guard->CheckPairwiseFunds(
              n, fmt::format("portfolio.weighting_scheme = '{}' (a covariance matrix)",
                             pf_.weighting_scheme));
        }
        const Eigen::VectorXd w = scheme->Weights(SampleCovariance(in_raw_));
        for (std::size_t i = 0; i < n; ++i) {
          const double wi = w[static_cast<Eigen::Index>(i)];
          custom_percent[funds[i]] = std::isnan(wi) ? 0.0 : wi * 100.0;
        }
      }
    }
    std::vector<double> base(n, 1.0 / static_cast<double>(n));
    if (custom_percent.empty()) return base;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = custom_percent.find(funds[i]);
      base[i] = it == custom_percent.end() ? 0.0 : it->second / 100.0;
      total += base[i];
    }
    if (total <= 0) std::fill(base.begin(), base.end(), 1.0 / static_cast<double>(n));
    return base;
  }

  // After volatility targeting, constraints and turnover (§7.3): the signal and the weight
  // policy (§6.5, §7.6).
  void FinalWeights(const WeightOutcome& weights) {
    const auto& funds = result_.selected_funds;
    result_.used_fallback_weights = weights.fallback;
    result_.turnover_value = weights.turnover_value;
    result_.portfolio_volatility_last = weights.portfolio_vol;
    for (const auto& f : funds) {
      result_.scale_factors.push_back(weights.scale_factors.at(f));
      result_.asset_volatility_last.push_back(weights.asset_vol.at(f));
    }
    std::vector<Eigen::Index> signal_rows;
    for (std::size_t i = 0; i < panel_.rows(); ++i) {
      if (panel_.dates[i] >= windows_.in.start && panel_.dates[i] <= windows_.out.end) {
        signal_rows.push_back(static_cast<Eigen::Index>(i));
      }
    }
    const auto first_out = std::find(signal_rows.begin(), signal_rows.end(), out_rows_.front());
    const Eigen::MatrixXd signal_span = Slice(panel_.values, signal_rows, fund_cols_);
    const int risk_window =
        settings_.vol_adjust.window_length.value_or(static_cast<int>(in_rows_.size()));
    const std::vector<bool> signal_valid =
        SignalValid(signal_span, static_cast<Eigen::Index>(first_out - signal_rows.begin()),
                    settings_.signals, risk_window);
    result_.fund_weights = ApplyWeightPolicy(funds, weights.weights, signal_valid, pf_);
    result_.ew_weights.assign(funds.size(), 1.0 / static_cast<double>(funds.size()));
  }

  // Scaled returns, portfolios (§8.1-§8.2) and their statistics.
  void PortfolioStatistics() {
    const auto n = static_cast<Eigen::Index>(result_.selected_funds.size());
    const int warmup = settings_.vol_adjust.warmup_periods;
    auto& r = result_;
    r.in_scaled = ScaleReturns(in_raw_, r.scale_factors, settings_.monthly_cost, warmup);
    r.out_scaled = ScaleReturns(out_raw_, r.scale_factors, settings_.monthly_cost, warmup);
    const Eigen::Map<const Eigen::VectorXd> user_w(r.fund_weights.data(), n);
    r.in_ew = r.in_scaled.rowwise().mean();
    r.out_ew = r.out_scaled.rowwise().mean();
    r.in_user = r.in_scaled * user_w;
    r.out_user = r.out_scaled * user_w;
    out_ew_raw_ = out_raw_.rowwise().mean();
    out_user_raw_ = out_raw_ * user_w;
    for (Eigen::Index c = 0; c < n; ++c) {
      r.in_sample_stats.push_back(ComputeStats(r.in_scaled.col(c), rf_in_, scratch_));
      r.out_sample_stats.push_back(ComputeStats(r.out_scaled.col(c), rf_out_, scratch_));
      r.out_sample_stats_raw.push_back(ComputeStats(out_raw_.col(c), rf_out_, scratch_));
    }
    r.in_ew_stats = ComputeStats(r.in_ew, rf_in_, scratch_);
    r.out_ew_stats = ComputeStats(r.out_ew, rf_out_, scratch_);
    r.out_ew_stats_raw = ComputeStats(out_ew_raw_, rf_out_, scratch_);
    r.in_user_stats = ComputeStats(r.in_user, rf_in_, scratch_);
    r.out_user_stats = ComputeStats(r.out_user, rf_out_, scratch_);
    r.out_user_stats_raw = ComputeStats(out_user_raw_, rf_out_, scratch_);
    r.in_rf = rf_in_;
    r.out_rf = rf_out_;
  }

  // Benchmarks: accepted indices under their own names, then the benchmarks mapping.
  void Benchmarks() {
    std::vector<std::pair<std::string, std::string>> bench_map;
    for (const auto& idx : result_.accepted_indices) bench_map.emplace_back(idx, idx);
    for (const auto& entry : settings_.benchmarks) {
      auto it = std::find_if(bench_map.begin(), bench_map.end(),
                             [&](auto& e) { return e.first == entry.first; });
      if (it == bench_map.end()) {
        bench_map.push_back(entry);
      } else {
        it->second = entry.second;
      }
    }
    for (const auto& [label, column] : bench_map) {
      const auto col = panel_.FindColumn(column);
      if (!col) {
        // The reference skips it silently in single-period runs (and raises in multi-period
        // ones, difference D9); we skip it and say so.
        result_.warnings.push_back(
            fmt::format("benchmarks.{} = '{}' is not a column of the returns; it is not reported",
                        label, column));
        continue;
      }
      BenchmarkResult b;
      b.label = label;
      b.column = column;
      const Eigen::VectorXd bench_in = SliceColumn(panel_.values, in_rows_, *col);
      const Eigen::VectorXd bench_out = SliceColumn(panel_.values, out_rows_, *col);
      b.in_sample = ComputeStats(bench_in, rf_in_, scratch_);
      b.out_sample = ComputeStats(bench_out, rf_out_, scratch_);
      for (Eigen::Index i = 0; i < result_.out_scaled.cols(); ++i) {
        scratch_ = result_.out_scaled.col(i) - bench_out;
        b.fund_ir.push_back(InformationRatioOfActive(scratch_));
      }
      scratch_ = out_ew_raw_ - bench_out;
      b.equal_weight_ir = InformationRatioOfActive(scratch_);
      scratch_ = out_user_raw_ - bench_out;
      b.user_weight_ir = InformationRatioOfActive(scratch_);
      result_.benchmarks.push_back(std::move(b));
    }
  }

  // Regime table (§8.4).
  void Regimes() {
    const auto& regime = settings_.regime;
    if (!regime.enabled || !regime.proxy) return;
    const auto proxy_col = panel_.FindColumn(*regime.proxy);
    if (!proxy_col) {
      result_.warnings.push_back(fmt::format(
          "regime.proxy = '{}' is not a column of the returns; there is no regime table",
          *regime.proxy));
      return;
    }
    result_.regime = BuildRegimeTable(
        panel_.dates, panel_.values.col(static_cast<Eigen::Index>(*proxy_col)), result_.out_dates,
        {{"User", &result_.out_user}, {"Equal-Weight", &result_.out_ew}}, rf_out_, regime);
  }

  const PreparedReturns& data_;
  const ReturnsFrame& panel_;
  const ValidCounts& valid_;
  const AnalysisSettings& settings_;
  const PortfolioSettings& pf_;
  const PipelineContext& context_;
  AnalysisResult result_;

  Windows windows_;
  std::vector<Eigen::Index> in_rows_, out_rows_, span_rows_;
  std::set<std::string> indices_;
  std::vector<std::size_t> covered_;  // columns with enough data over both windows
  std::size_t rf_col_ = 0;
  Eigen::VectorXd rf_in_, rf_out_;
  std::vector<std::size_t> fund_cols_;
  Eigen::MatrixXd in_raw_, out_raw_;
  Eigen::VectorXd out_ew_raw_, out_user_raw_;
  Eigen::VectorXd scratch_;
};

}  // namespace

AnalysisResult RunAnalysis(const PreparedReturns& data, const AnalysisSettings& settings,
                           const PipelineContext& context) {
  return Analysis(data, settings, context).Run();
}

}  // namespace trend

namespace trend {

AnalysisResult AnalyseReturns(ReturnsFrame raw, const AnalysisSettings& settings,
                              std::string_view source, const PipelineContext& context) {
  PrepareOptions options;
  options.load_policy = settings.data.load_missing;
  options.panel_policy = settings.preprocessing_missing;
  options.enforce_completeness = !settings.data.allow_risk_free_fallback;
  const PreparedReturns prepared = PrepareReturns(std::move(raw), options, source);
  return RunAnalysis(prepared, settings, context);
}

}  // namespace trend
