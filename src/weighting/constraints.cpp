#include "weighting/constraints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace trend {
namespace {

constexpr double kTolerance = 1e-12;

void Normalise(Eigen::VectorXd& w) {
  const double total = w.sum();
  if (total != 0.0) w /= total;
}

}  // namespace

void ApplyMaxWeight(Eigen::VectorXd& w, double cap) {
  const auto n = static_cast<double>(w.size());
  if (cap <= 0) throw ConstraintViolation("max_weight must be positive");
  if (cap * n < 1.0 - kTolerance) {
    throw ConstraintViolation(
        fmt::format("max_weight {} is infeasible for {} funds", cap, w.size()));
  }
  for (int iter = 0; iter < 10000; ++iter) {
    const double excess = (w.array() - cap).cwiseMax(0.0).sum();
    if (excess <= kTolerance) return;
    w = w.cwiseMin(cap);
    const Eigen::ArrayXd below = (w.array() < cap - kTolerance).cast<double>();
    if (below.sum() == 0) throw ConstraintViolation("no fund below max_weight to take the excess");
    const double below_total = (w.array() * below).sum();
    if (below_total <= kTolerance) {
      w.array() += below * (excess / below.sum());
    } else {
      w.array() += below * w.array() / below_total * excess;
    }
  }
}

Eigen::VectorXd ApplyConstraints(Eigen::VectorXd w, const std::vector<std::string>& funds,
                                 const ConstraintSettings& c) {
  if (c.long_only) {
    w = w.cwiseMax(0.0);
    if (w.sum() == 0.0) throw ConstraintViolation("all weights are zero after the long-only clip");
  }
  Normalise(w);
  if (c.max_weight) ApplyMaxWeight(w, *c.max_weight);
  if (!c.group_caps.empty()) {
    std::vector<std::string> group_of(funds.size());
    std::set<std::string> present;
    for (std::size_t i = 0; i < funds.size(); ++i) {
      const auto it = c.groups.find(funds[i]);
      if (it == c.groups.end()) {
        throw ConstraintViolation(
            fmt::format("fund '{}' has no group in constraints.groups", funds[i]));
      }
      group_of[i] = it->second;
      present.insert(it->second);
    }
    double cap_total = 0;
    bool all_capped = true;
    for (const auto& g : present) {
      const auto it = std::find_if(c.group_caps.begin(), c.group_caps.end(),
                                   [&](const auto& e) { return e.first == g; });
      if (it == c.group_caps.end()) {
        all_capped = false;
      } else {
        cap_total += it->second;
      }
    }
    if (all_capped && cap_total < 1.0 - kTolerance) {
      throw ConstraintViolation("group caps sum to less than 1");
    }
    for (const auto& [group, cap] : c.group_caps) {
      Eigen::ArrayXd member(w.size());
      for (std::size_t i = 0; i < funds.size(); ++i) {
        member[static_cast<Eigen::Index>(i)] = group_of[i] == group ? 1.0 : 0.0;
      }
      const double group_weight = (w.array() * member).sum();
      if (group_weight <= cap + kTolerance) continue;
      const double excess = group_weight - cap;
      const Eigen::ArrayXd others = 1.0 - member;
      const double others_total = (w.array() * others).sum();
      Eigen::ArrayXd scaled = w.array() * (member * (cap / group_weight) + others);
      if (others_total <= kTolerance) {
        scaled += others * (excess / std::max(others.sum(), 1.0));
      } else {
        scaled += others * w.array() / others_total * excess;
      }
      w = scaled.matrix();
    }
    if (c.max_weight) ApplyMaxWeight(w, *c.max_weight);
  }
  Normalise(w);
  return w;
}

TurnoverControlled ApplyTurnoverControls(const Eigen::VectorXd& weights,
                                         const std::vector<std::string>& funds,
                                         const NamedValues& previous,
                                         std::optional<double> lambda_tc,
                                         std::optional<double> max_turnover) {
  // pandas aligns on the sorted union of names.
  std::map<std::string, std::pair<double, double>> aligned;  // name -> (current, previous)
  for (std::size_t i = 0; i < funds.size(); ++i) {
    aligned[funds[i]].first = weights[static_cast<Eigen::Index>(i)];
  }
  for (const auto& [name, w] : previous) aligned[name].second = w;

  TurnoverControlled out;
  const auto n = static_cast<Eigen::Index>(aligned.size());
  Eigen::VectorXd current(n), prev(n);
  Eigen::Index k = 0;
  for (const auto& [name, pair] : aligned) {
    out.funds.push_back(name);
    current[k] = pair.first;
    prev[k] = pair.second;
    ++k;
  }
  TurnoverRules rules;
  rules.lambda_tc = lambda_tc;
  rules.max_turnover = max_turnover;
  out.turnover = ControlTurnover(current, prev, rules);
  out.weights = std::move(current);
  return out;
}

double ControlTurnover(Eigen::VectorXd& current, const Eigen::VectorXd& previous,
                       const TurnoverRules& rules) {
  const double slack = rules.slack;
  const bool has_previous = previous.cwiseAbs().sum() > slack;
  if (rules.lambda_tc && *rules.lambda_tc > slack &&
      (!rules.penalty_needs_previous || has_previous)) {
    if (rules.lambda_one_copies_previous && *rules.lambda_tc >= 1) {
      current = previous;
      Normalise(current);
    } else {
      current = previous + (current - previous) * (1.0 - *rules.lambda_tc);
    }
    if (rules.bounds) rules.bounds(current);
  }
  if (rules.max_turnover) {
    const double cap = *rules.max_turnover;
    const bool active = rules.cap_below_one_only ? cap < 1.0 - slack : cap > 0;
    const Eigen::VectorXd trades = current - previous;
    const double total = trades.cwiseAbs().sum();
    if (active && total > cap + slack) current = previous + trades * (cap / total);
  }
  if (rules.bounds) rules.bounds(current);
  return (current - previous).cwiseAbs().sum();
}

}  // namespace trend
