// Portfolio constraints (long-only, max weight, group caps) and turnover controls against
// previous weights, in the reference's exact order (spec §7.4-§7.5).
#pragma once

#include <Eigen/Core>
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

// Blends towards previous weights with lambda_tc, then scales the trades down to max_turnover.
TurnoverControlled ApplyTurnoverControls(const Eigen::VectorXd& weights,
                                         const std::vector<std::string>& funds,
                                         const NamedValues& previous,
                                         std::optional<double> lambda_tc,
                                         std::optional<double> max_turnover);

}  // namespace trend
