// Portfolio constraints (long-only, max weight, group caps) and turnover controls against
// previous weights, in the reference's exact order (spec §7.4-§7.5).
#pragma once

#include <Eigen/Core>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace trend {

// The weights cannot satisfy the constraints (e.g. every weight clipped to zero).
class ConstraintViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `weights` are parallel to `funds`. Returns weights summing to 1.
Eigen::VectorXd ApplyConstraints(Eigen::VectorXd weights, const std::vector<std::string>& funds,
                                 const ConstraintSettings& constraints);

// Caps every weight at `cap`, handing the excess to the funds below it in proportion to their
// weight. Throws ConstraintViolation when infeasible.
void ApplyMaxWeight(Eigen::VectorXd& weights, double cap);

struct TurnoverControlled {
  std::vector<std::string> funds;  // the union of current and previous names
  Eigen::VectorXd weights;
  double turnover = 0.0;  // sum |w - prev| after the controls
};

// The turnover controls of every path: a penalty that moves only (1 - lambda_tc) of the way
// from the previous weights, then a cap that scales the trades down to max_turnover.
struct TurnoverRules {
  std::optional<double> lambda_tc;
  std::optional<double> max_turnover;
  // Where the reference's threshold-hold rebalancer (spec §9.4 step 7) differs from its
  // single-period pipeline (§7.5):
  double slack = 0.0;                      // it compares with 1e-12 of slack;
  bool penalty_needs_previous = false;     // it skips the penalty when there is nothing before;
  bool lambda_one_copies_previous = true;  // the pipeline takes lambda >= 1 as "keep previous";
  bool cap_below_one_only = false;         // to it a cap of 1 or more is no cap;
  std::function<void(Eigen::VectorXd&)> bounds;  // and it re-applies its weight bounds.
};

// `current` and `previous` are aligned on the same names. Returns sum |current - previous|
// after the controls.
double ControlTurnover(Eigen::VectorXd& current, const Eigen::VectorXd& previous,
                       const TurnoverRules& rules);

// The single-period form: aligns on the sorted union of names, then ControlTurnover.
TurnoverControlled ApplyTurnoverControls(const Eigen::VectorXd& weights,
                                         const std::vector<std::string>& funds,
                                         const NamedValues& previous,
                                         std::optional<double> lambda_tc,
                                         std::optional<double> max_turnover);

}  // namespace trend
