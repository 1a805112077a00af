// Weight engines turn a covariance matrix into portfolio weights that sum to 1. Each scheme is
// a small WeightingScheme registered by name (spec §7.2); the pipeline resolves
// `portfolio.weighting_scheme` through a WeightingRegistry.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "registry/named_registry.hpp"

namespace trend {

class WeightingScheme {
 public:
  virtual ~WeightingScheme() = default;
  // `covariance` is the sample covariance (ddof 1) of the funds' raw in-sample returns.
  virtual Eigen::VectorXd Weights(const Eigen::MatrixXd& covariance) const = 0;
};

using WeightingRegistry = NamedRegistry<WeightingScheme>;

// equal, risk_parity, vol_inverse, erc, hrp, robust_mv, robust_mean_variance,
// robust_risk_parity.
const WeightingRegistry& BuiltinWeightingSchemes();

// Sample covariance (ddof 1) of the columns of `returns` (no missing values).
Eigen::MatrixXd SampleCovariance(const Eigen::MatrixXd& returns);

// Leaf order of scipy's single-linkage dendrogram of a condensed distance matrix given in
// square form (MST algorithm, merges sorted stably by distance, pre-order leaves).
std::vector<int> SingleLinkageLeafOrder(const Eigen::MatrixXd& distance);

}  // namespace trend
