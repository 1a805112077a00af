#include "multiperiod/threshold_hold.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "error/input_error.hpp"
#include "pipeline/risk_free.hpp"
#include "weighting/constraints.hpp"

namespace trend {

std::string FirmOf(const std::string& fund) {
  const std::size_t begin = fund.find_first_not_of(" \t");
  if (begin == std::string::npos) return fund;
  const std::size_t end = fund.find_first_of(" \t", begin);
  return fund.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::vector<std::string> Rebalancer::ApplyTriggers(const std::vector<std::string>& holdings,
                                                   const std::vector<std::string>& names,
                                                   const std::vector<double>& z) {
  std::map<std::string, double> z_of;
  for (std::size_t i = 0; i < names.size(); ++i) z_of[names[i]] = z[i];
  const auto z_for = [&](const std::string& name) {
    const auto it = z_of.find(name);
    return it == z_of.end() ? 0.0 : it->second;
  };
  std::vector<std::string> kept;
  for (const auto& fund : holdings) {
    const double score = z_for(fund);
    if (rules_.z_exit_hard && score < *rules_.z_exit_hard) {
      exit_strikes_.erase(fund);
      continue;
    }
    int& strikes = exit_strikes_[fund];
    strikes = score < rules_.z_exit_soft ? strikes + 1 : 0;
    if (strikes >= rules_.soft_strikes) {
      exit_strikes_.erase(fund);
      continue;
    }
    kept.push_back(fund);
  }
  const std::set<std::string> held(holdings.begin(), holdings.end());
  std::vector<std::pair<double, std::string>> hard, automatic, eligible;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& fund = names[i];
    if (held.count(fund)) continue;
    int& strikes = entry_strikes_[fund];
    strikes = z[i] >= rules_.z_entry_soft ? strikes + 1 : 0;
    if (rules_.z_entry_hard && z[i] >= *rules_.z_entry_hard) {
      hard.emplace_back(z[i], fund);
    } else if (strikes >= rules_.entry_soft_strikes) {
      automatic.emplace_back(z[i], fund);
    } else if (strikes >= entry_eligible_strikes_) {
      eligible.emplace_back(z[i], fund);
    }
  }
  const auto by_z = [](const auto& a, const auto& b) { return a.first > b.first; };
  std::stable_sort(automatic.begin(), automatic.end(), by_z);
  std::stable_sort(eligible.begin(), eligible.end(), by_z);
  for (const auto* group : {&hard, &automatic, &eligible}) {
    for (const auto& [score, fund] : *group) {
      if (static_cast<int>(kept.size()) >= max_funds_) break;
      kept.push_back(fund);
      entry_strikes_.erase(fund);
    }
  }
  return kept;
}

std::vector<double> ApplyWeightBounds(std::vector<double> w, double min_w, double max_w) {
  constexpr double kEps = 1e-12;
  for (double& x : w) x = std::max(std::min(std::max(x, 0.0), max_w), min_w);
  const auto rebalance = [&] {
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    if (total > 1.0 + kEps) {
      double capacity = 0;
      for (double x : w) capacity += x > min_w ? x - min_w : 0.0;
      if (capacity > 0) {
        const double excess = total - 1.0;
        for (double& x : w) {
          if (x > min_w) x -= excess * (x - min_w) / capacity;
        }
      }
    } else if (total < 1.0 - kEps) {
      double room = 0;
      for (double x : w) room += x < max_w ? max_w - x : 0.0;
      if (room > 0) {
        const double deficit = 1.0 - total;
        for (double& x : w) {
          if (x < max_w) x += deficit * (max_w - x) / room;
        }
      }
    }
    for (double& x : w) x = std::min(std::max(x, min_w), max_w);
  };
  rebalance();
  if (std::abs(std::accumulate(w.begin(), w.end(), 0.0) - 1.0) > 1e-9) rebalance();
  return w;
}

namespace {

// A column of the threshold-hold score frame (spec §9.4 step 2).
double MetricOf(const Stats& s, HoldColumn column) {
  switch (column) {
    case HoldColumn::kCAGR:
      return s.cagr;
    case HoldColumn::kVolatility:
      return s.vol;
    case HoldColumn::kSortino:
      return s.sortino;
    case HoldColumn::kInformationRatio:
      return s.information_ratio;
    case HoldColumn::kMaxDrawdown:
      return s.max_drawdown;
    case HoldColumn::kSharpe:
      break;
  }
  return s.sharpe;
}

// Events of one kind sorted by fund name (code point order, as Python's sorted).
void SortByManager(std::vector<ManagerChange>& changes, std::size_t from) {
  std::stable_sort(
      changes.begin() + static_cast<std::ptrdiff_t>(from), changes.end(),
      [](const ManagerChange& a, const ManagerChange& b) { return a.manager < b.manager; });
}

// Population z-scores; a zero or undefined spread gives 0.
std::vector<double> ZScores(const std::vector<double>& x) {
  std::vector<double> z(x.size(), 0.0);
  double sum = 0;
  int n = 0;
  for (double v : x) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  if (n == 0) return z;
  const double mean = sum / n;
  double ss = 0;
  for (double v : x) {
    if (!std::isnan(v)) ss += (v - mean) * (v - mean);
  }
  const double sd = std::sqrt(ss / static_cast<double>(n));
  if (!(sd > 0)) return z;
  for (std::size_t i = 0; i < x.size(); ++i) z[i] = std::isnan(x[i]) ? 0.0 : (x[i] - mean) / sd;
  return z;
}

std::vector<Eigen::Index> RowsBetween(const std::vector<Date>& dates, int first_month,
                                      int last_month) {
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < dates.size(); ++i) {
    const int m = MonthIndex(dates[i]);
    if (m >= first_month && m <= last_month) rows.push_back(static_cast<Eigen::Index>(i));
  }
  return rows;
}

std::vector<double> Normalised(std::vector<double> w) {
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  if (!(total > 0))
    return std::vector<double>(w.size(), w.empty() ? 0.0 : 1.0 / static_cast<double>(w.size()));
  for (double& x : w) x /= total;
  return w;
}

}  // namespace

const std::size_t* ThresholdHoldEngine::ScoreFrame::Find(const std::string& name) const {
  const auto it = index.find(name);
  return it == index.end() ? nullptr : &it->second;
}

double ThresholdHoldEngine::ScoreFrame::Metric(const std::string& name) const {
  const std::size_t* i = Find(name);
  return i ? metric[*i] : std::nan("");
}

double ThresholdHoldEngine::ScoreFrame::Z(const std::string& name) const {
  const std::size_t* i = Find(name);
  return i ? zscore[*i] : 0.0;
}

ThresholdHoldEngine::ThresholdHoldEngine(const PreparedReturns& data,
                                         const AnalysisSettings& settings)
    : data_(data),
      settings_(settings),
      rebalancer_(settings.portfolio.threshold_hold, settings.portfolio.constraints.max_funds) {
  const PortfolioSettings& pf = settings.portfolio;
  target_n_ = pf.threshold_hold.target_n.value_or(pf.random_n);
  max_funds_ = pf.constraints.max_funds;
  min_w_ = pf.constraints.min_weight;
  max_w_ = pf.constraints.max_weight.value_or(0.18);
  required_strikes_ =
      pf.constraints.min_weight_strikes.value_or(pf.threshold_hold.min_weight_strikes.value_or(2));
  metric_ascending_ = SmallerIsBetter(pf.threshold_hold.metric);

  // Risk-free and candidates once, on the whole panel (spec §1.4 over every row). A configured
  // risk-free column may also be a benchmark; the fallback picks among the candidates.
  const ReturnsFrame& panel = data.monthly;
  const std::set<std::string> indices(pf.indices_list.begin(), pf.indices_list.end());
  std::set<std::string> excluded = indices;
  for (const auto& [label, column] : settings.benchmarks) excluded.insert(column);  // D2
  std::vector<Eigen::Index> rows(panel.rows());
  std::iota(rows.begin(), rows.end(), Eigen::Index{0});
  const int months = static_cast<int>(panel.rows());
  const std::vector<std::size_t> covered =
      WellCoveredColumns(panel, data.valid, rows, months, excluded);
  // Only to keep it out of the candidates: each period makes its own choice (Step).
  const std::size_t risk_free =
      ChooseRiskFree(panel, data.valid, rows, months, covered, indices, settings.data).column;
  for (std::size_t j : covered) {
    if (j != risk_free) candidates_.push_back(j);
  }
}

ThresholdHoldEngine::ScoreFrame ThresholdHoldEngine::Score(
    const std::vector<std::size_t>& columns, const std::vector<Eigen::Index>& rows) const {
  const ReturnsFrame& panel = data_.monthly;
  ScoreFrame frame;
  Eigen::VectorXd series(static_cast<Eigen::Index>(rows.size()));
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(series.size());
  Eigen::VectorXd scratch;
  for (std::size_t j : columns) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      series[static_cast<Eigen::Index>(i)] = panel.values(rows[i], static_cast<Eigen::Index>(j));
    }
    const Stats s = ComputeStats(series, zero, scratch);
    frame.index.emplace(panel.columns[j], frame.names.size());
    frame.names.push_back(panel.columns[j]);
    frame.stats.push_back(s);
    frame.metric.push_back(MetricOf(s, settings_.portfolio.threshold_hold.metric));
  }
  frame.zscore = ZScores(frame.metric);
  return frame;
}

// Keeps one fund per firm: the best by the metric (ascending only for MaxDrawdown), then by
// z-score. Returns the kept funds in that order.
std::vector<std::string> ThresholdHoldEngine::OnePerFirm(
    std::vector<std::string> funds, const ScoreFrame& scores,
    std::vector<ManagerChange>* changes) const {
  std::stable_sort(funds.begin(), funds.end(), [&](const auto& a, const auto& b) {
    const double ma = scores.Metric(a), mb = scores.Metric(b);
    if (ma != mb) return metric_ascending_ ? ma < mb : ma > mb;
    return scores.Z(a) > scores.Z(b);
  });
  std::set<std::string> firms;
  std::vector<std::string> kept;
  for (const auto& fund : funds) {
    if (firms.insert(FirmOf(fund)).second) {
      kept.push_back(fund);
    } else if (changes) {
      changes->push_back({"dropped", fund, FirmOf(fund), "one_per_firm", "duplicate firm pruned"});
    }
  }
  return kept;
}

std::vector<std::string> ThresholdHoldEngine::Seed(const ScoreFrame& scores,
                                                   std::vector<ManagerChange>& changes,
                                                   const std::string& reason) const {
  // The rank selector: top target_n by the selector's rank column.
  const HoldColumn column = settings_.portfolio.selector_rank_column;
  const bool ascending = SmallerIsBetter(column);
  std::vector<std::size_t> order(scores.names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double ma = MetricOf(scores.stats[a], column), mb = MetricOf(scores.stats[b], column);
    if (std::isnan(ma) != std::isnan(mb)) return !std::isnan(ma);
    return ascending ? ma < mb : ma > mb;
  });
  std::vector<std::string> seed;
  for (std::size_t k = 0; k < order.size() && static_cast<int>(seed.size()) < target_n_; ++k) {
    seed.push_back(scores.names[order[k]]);
  }
  std::vector<std::string> kept = OnePerFirm(seed, scores, nullptr);
  if (static_cast<int>(kept.size()) > max_funds_) {
    std::stable_sort(kept.begin(), kept.end(),
                     [&](const auto& a, const auto& b) { return scores.Z(a) > scores.Z(b); });
    kept.resize(static_cast<std::size_t>(max_funds_));
  }
  const char* detail = reason == "seed" ? "initial portfolio seed" : "reseeded empty portfolio";
  for (const auto& fund : kept) changes.push_back({"added", fund, FirmOf(fund), reason, detail});
  return kept;
}

// The weighting's own output before the weight policy (the low-weight test uses these).
std::vector<double> ThresholdHoldEngine::NaturalWeights(const std::vector<std::string>& funds,
                                                        const ScoreFrame& scores) {
  const HoldingsWeightingSettings& w = settings_.portfolio.weighting;
  const std::size_t n = funds.size();
  std::vector<double> out(n, 0.0);
  if (n == 0) return out;
  std::vector<double> s(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto it = std::find(scores.names.begin(), scores.names.end(), funds[i]);
    s[i] =
        it == scores.names.end()
            ? std::nan("")
            : MetricOf(scores.stats[static_cast<std::size_t>(it - scores.names.begin())], w.column);
  }
  if (w.name == HoldingsWeighting::kScorePropBayes) {
    // pandas skips NaN in the mean and the sum, and a NaN score keeps a NaN weight, which the
    // weight policy then treats as invalid (the fund stays held at weight 0).
    double mean = 0;
    int scored = 0;
    for (double v : s) {
      if (std::isnan(v)) continue;
      mean += v;
      ++scored;
    }
    mean = scored > 0 ? mean / scored : std::nan("");
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = (s[i] + w.shrink_tau * mean) / (1.0 + w.shrink_tau);
      out[i] = std::isnan(v) ? v : std::max(v, 0.0);
      if (!std::isnan(out[i])) total += out[i];
    }
    if (total > 0) {
      for (double& x : out) x /= total;
      return out;
    }
    return std::vector<double>(n, 1.0 / static_cast<double>(n));
  }
  if (w.name == HoldingsWeighting::kAdaptiveBayes) {
    // Never updated in the reference's threshold-hold path: the prior, 1/n of the holdings
    // when a fund first appears.
    for (std::size_t i = 0; i < n; ++i) {
      auto [it, inserted] = adaptive_prior_.try_emplace(funds[i], 1.0 / static_cast<double>(n));
      out[i] = std::max(it->second, 0.0);
    }
    out = Normalised(out);
    if (w.max_w) {
      double deficit = 0;
      std::size_t below = 0;
      for (double& x : out) {
        if (x > *w.max_w) {
          deficit += x - *w.max_w;
          x = *w.max_w;
        } else {
          ++below;
        }
      }
      for (double& x : out) {
        if (x < *w.max_w && below > 0) x += deficit / static_cast<double>(below);
      }
    }
    return out;
  }
  const double equal = std::round(10000.0 / static_cast<double>(n)) / 10000.0;  // 4 decimals
  return std::vector<double>(n, equal);
}

// The weight policy on the holdings (drop; signal = the metric): a fund whose weight or metric
// is not finite is removed (NaN here) and the rest are renormalised. A removed fund stays held
// at weight 0, outside the bounds and turnover steps, as in the reference.
std::vector<double> ThresholdHoldEngine::PolicyWeights(const std::vector<std::string>& funds,
                                                       const std::vector<double>& natural,
                                                       const ScoreFrame& scores) const {
  std::vector<double> w = natural;
  double total = 0;
  for (std::size_t i = 0; i < funds.size(); ++i) {
    if (!std::isfinite(w[i]) || std::isnan(scores.Metric(funds[i]))) {
      w[i] = std::nan("");
    } else {
      total += w[i];
    }
  }
  for (double& x : w) {
    if (!std::isnan(x)) x = total > 0 ? x / total : 0.0;
  }
  return w;
}

// 1. Universe: candidates with no gap in either window (the eligibility rule of every path).
std::vector<std::size_t> ThresholdHoldEngine::Universe(
    const Period& period, const std::vector<Eigen::Index>& in_rows,
    const std::vector<Eigen::Index>& out_rows) const {
  std::vector<std::size_t> universe;
  if (!in_rows.empty() && !out_rows.empty()) {
    for (std::size_t j : candidates_) {
      if (ValidCounts::CompleteIn(data_.valid, data_.monthly.values, j, in_rows, out_rows))
        universe.push_back(j);
    }
  }
  if (universe.empty()) {
    throw InputError(fmt::format("period {}..{}: no fund has complete data in both windows",
                                 FormatMonth(period.in_start), FormatMonth(period.out_end)));
  }
  return universe;
}

// 3. Holdings: the seed, or last period's holdings after the rebalancer's exits and entries and
// one fund per firm. Event order (spec §9.4 step 3): the rebalancer's drops, then its
// additions, then the one-per-firm drops, each block sorted by name.
std::vector<std::string> ThresholdHoldEngine::Holdings(const ScoreFrame& scores,
                                                       std::vector<ManagerChange>& changes) {
  if (first_) {
    first_ = false;
    return Seed(scores, changes, "seed");
  }
  std::vector<std::string> next = rebalancer_.ApplyTriggers(holdings_, scores.names, scores.zscore);
  std::erase_if(next, [&](const auto& f) { return scores.Find(f) == nullptr; });
  const std::set<std::string> before(holdings_.begin(), holdings_.end());
  const std::set<std::string> after(next.begin(), next.end());
  const double soft_exit = settings_.portfolio.threshold_hold.z_exit_soft;
  const double soft_entry = settings_.portfolio.threshold_hold.z_entry_soft;
  std::size_t block = changes.size();
  for (const auto& f : holdings_) {
    if (after.count(f)) continue;
    const double z = scores.Z(f);
    changes.push_back({"dropped", f, FirmOf(f), z < soft_exit ? "z_exit" : "rebalance",
                       fmt::format("zscore={:.3f}", z)});
    low_weight_strikes_.erase(f);
  }
  SortByManager(changes, block);
  block = changes.size();
  for (const auto& f : next) {
    if (before.count(f)) continue;
    const double z = scores.Z(f);
    changes.push_back({"added", f, FirmOf(f), z > soft_entry - 1e-12 ? "z_entry" : "rebalance",
                       fmt::format("zscore={:.3f}", z)});
  }
  SortByManager(changes, block);
  block = changes.size();
  const std::vector<std::string> kept = OnePerFirm(next, scores, &changes);
  SortByManager(changes, block);
  // Survivors keep the rebalancer's order; OnePerFirm sorted them.
  std::erase_if(
      next, [&](const auto& f) { return std::find(kept.begin(), kept.end(), f) == kept.end(); });
  if (next.empty()) return Seed(scores, changes, "reseat");
  return next;
}

// 4-5. The weighting's natural weights, then low-weight strikes: funds below min_weight for
// too many periods leave and the best-scored funds of new firms replace them.
std::vector<double> ThresholdHoldEngine::StrikeLowWeights(std::vector<std::string>& holdings,
                                                          const ScoreFrame& scores,
                                                          std::vector<ManagerChange>& changes) {
  std::vector<double> natural = NaturalWeights(holdings, scores);
  std::vector<std::string> removed;
  for (std::size_t i = 0; i < holdings.size(); ++i) {
    int& strikes = low_weight_strikes_[holdings[i]];
    strikes = natural[i] < min_w_ ? strikes + 1 : 0;
    if (strikes >= required_strikes_) removed.push_back(holdings[i]);
  }
  if (removed.empty()) return natural;
  for (const auto& f : removed) {
    changes.push_back({"dropped", f, FirmOf(f), "low_weight_strikes",
                       fmt::format("weight below {:.4f}", min_w_)});
    low_weight_strikes_.erase(f);
    std::erase(holdings, f);
  }
  std::set<std::string> firms;
  for (const auto& f : holdings) firms.insert(FirmOf(f));
  std::vector<std::size_t> by_z(scores.names.size());
  std::iota(by_z.begin(), by_z.end(), 0);
  std::stable_sort(by_z.begin(), by_z.end(), [&](std::size_t a, std::size_t b) {
    return scores.zscore[a] > scores.zscore[b];
  });
  const int room = std::min(max_funds_, target_n_);
  for (std::size_t k : by_z) {
    if (static_cast<int>(holdings.size()) >= room) break;
    const std::string& f = scores.names[k];
    if (std::find(holdings.begin(), holdings.end(), f) != holdings.end() ||
        std::find(removed.begin(), removed.end(), f) != removed.end() || firms.count(FirmOf(f))) {
      continue;
    }
    holdings.push_back(f);
    firms.insert(FirmOf(f));
    changes.push_back(
        {"added", f, FirmOf(f), "replacement", fmt::format("zscore={:.3f}", scores.zscore[k])});
  }
  return NaturalWeights(holdings, scores);
}

// 6-7. Bounds on the funds the weight policy kept (the others stay held at weight 0), then the
// turnover controls against last period's final weights over the union of names (D5: funds
// that left get no weight afterwards). Returns the weighted funds and their final weights.
std::pair<std::vector<std::string>, std::vector<double>> ThresholdHoldEngine::BoundedWeights(
    const std::vector<std::string>& holdings, const std::vector<double>& natural,
    const ScoreFrame& scores, double& turnover) {
  const std::vector<double> kept_weights = PolicyWeights(holdings, natural, scores);
  std::vector<std::string> names;
  std::vector<double> w;
  for (std::size_t i = 0; i < holdings.size(); ++i) {
    if (std::isnan(kept_weights[i])) continue;
    names.push_back(holdings[i]);
    w.push_back(kept_weights[i]);
  }
  w = ApplyWeightBounds(w, min_w_, max_w_);
  const auto held = static_cast<Eigen::Index>(names.size());
  for (const auto& [f, x] : weights_) {
    if (std::find(names.begin(), names.end(), f) == names.end()) names.push_back(f);
  }
  const auto size = static_cast<Eigen::Index>(names.size());
  Eigen::VectorXd target = Eigen::VectorXd::Zero(size), prev(size);
  for (Eigen::Index i = 0; i < size; ++i) {
    if (i < held) target[i] = w[static_cast<std::size_t>(i)];
    const auto it = weights_.find(names[static_cast<std::size_t>(i)]);
    prev[i] = it == weights_.end() ? 0.0 : it->second;
  }
  TurnoverRules rules;  // this path's rules (spec §9.4 step 7)
  rules.lambda_tc = settings_.portfolio.lambda_tc;
  rules.max_turnover = settings_.portfolio.max_turnover.value_or(1.0);
  rules.slack = 1e-12;
  rules.penalty_needs_previous = true;
  rules.lambda_one_copies_previous = false;
  rules.cap_below_one_only = true;
  rules.bounds = [&](Eigen::VectorXd& v) {  // bounds on the held funds; leavers get nothing
    std::vector<double> bounded(v.data(), v.data() + held);
    bounded = ApplyWeightBounds(bounded, min_w_, max_w_);
    std::copy(bounded.begin(), bounded.end(), v.data());
    v.tail(size - held).setZero();
  };
  turnover = ControlTurnover(target, prev, rules);
  names.resize(static_cast<std::size_t>(held));
  return {names, std::vector<double>(target.data(), target.data() + held)};
}

ThresholdHoldStep ThresholdHoldEngine::Step(const Period& period, AnalysisSettings period_settings,
                                            const PipelineContext& context) {
  const ReturnsFrame& panel = data_.monthly;
  const auto in_rows = RowsBetween(panel.dates, period.in_start, period.in_end);
  const auto out_rows = RowsBetween(panel.dates, period.out_start, period.out_end);
  // 2. Score frame on raw in-sample returns, rf 0.
  const ScoreFrame scores = Score(Universe(period, in_rows, out_rows), in_rows);
  ThrowIfStopped(context.guard);
  ThresholdHoldStep step;
  std::vector<std::string> holdings = Holdings(scores, step.changes);
  const std::vector<double> natural = StrikeLowWeights(holdings, scores, step.changes);
  const auto [weighted, weights] = BoundedWeights(holdings, natural, scores, step.turnover);
  weights_.clear();
  for (std::size_t i = 0; i < weighted.size(); ++i) weights_[weighted[i]] = weights[i];
  holdings_ = holdings;

  // 8. The single-period analysis on the holdings with these weights (percent). The period
  // makes its own risk-free choice: the configured column, or the fallback re-run inside its
  // windows, as the reference's pipeline does.
  period_settings.portfolio.selection_mode = "manual";
  period_settings.portfolio.manual_list = holdings;
  NamedValues custom;
  for (std::size_t i = 0; i < weighted.size(); ++i)
    custom.emplace_back(weighted[i], weights[i] * 100.0);
  period_settings.portfolio.custom_weights = custom;
  period_settings.portfolio.weighting_scheme = "equal";
  step.analysis = RunAnalysis(data_, period_settings, context);
  return step;
}

}  // namespace trend
