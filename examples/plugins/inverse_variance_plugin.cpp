// An example plugin for `trend app`: adds the weighting scheme "inverse_variance"
// (w proportional to 1 / variance, the minimum-variance weights when correlations are zero).
// Build: part of the tree (target inverse_variance_plugin); use:
//   TREND_PLUGIN_PATH=build/release/examples/plugins trend app
// then portfolio.weighting_scheme: inverse_variance in a run's config.
#include <Eigen/Core>
#include <memory>

#include "server/plugins.hpp"

namespace {

class InverseVarianceScheme final : public trend::WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& covariance) const override {
    Eigen::VectorXd w = covariance.diagonal().cwiseMax(1e-12).cwiseInverse();
    return w / w.sum();
  }
};

}  // namespace

extern "C" int trend_plugin_register(trend::PluginHost* host) {
  host->AddWeightingScheme("inverse_variance",
                           [] { return std::make_unique<InverseVarianceScheme>(); });
  return 0;
}
