#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "weighting/weighting_scheme.hpp"

namespace trend {

Eigen::MatrixXd SampleCovariance(const Eigen::MatrixXd& returns) {
  const Eigen::Index n = returns.rows();
  const Eigen::RowVectorXd mean = returns.colwise().mean();
  const Eigen::MatrixXd centered = returns.rowwise() - mean;
  // One triangle (a symmetric rank-k update), then mirrored: half the work of the full product.
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(returns.cols(), returns.cols());
  cov.selfadjointView<Eigen::Lower>().rankUpdate(centered.adjoint());
  cov.triangularView<Eigen::StrictlyUpper>() = cov.adjoint();
  return cov / static_cast<double>(n - 1);
}

namespace {

Eigen::VectorXd EqualWeights(Eigen::Index n) {
  return Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n));
}

bool AllFinite(const Eigen::VectorXd& v) {
  return v.allFinite();
}

// numpy.linalg.cond (2-norm): ratio of the largest to the smallest singular value.
double ConditionNumber(const Eigen::MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(m, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd abs_eig = solver.eigenvalues().cwiseAbs();
  const double lo = abs_eig.minCoeff();
  return lo == 0.0 ? std::numeric_limits<double>::infinity() : abs_eig.maxCoeff() / lo;
}

class EqualScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov) const override {
    return EqualWeights(cov.rows());
  }
};

// w proportional to 1 / sqrt(variance).
class RiskParityScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov) const override {
    Eigen::VectorXd d = cov.diagonal();
    if ((d.array() <= 0).any()) d = d.cwiseMax(d.maxCoeff() * 1e-8);
    Eigen::VectorXd w = d.cwiseSqrt().cwiseInverse();
    w /= w.sum();
    return AllFinite(w) ? w : EqualWeights(cov.rows());
  }
};

// Equal risk contribution by multiplicative fixed-point iteration.
class EqualRiskContributionScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov_in) const override {
    const Eigen::Index n = cov_in.rows();
    Eigen::MatrixXd cov = cov_in;
    const double mean_var = cov.trace() / static_cast<double>(n);
    if (ConditionNumber(cov) > 1e12) cov.diagonal().array() += mean_var * 1e-6;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov, Eigen::EigenvaluesOnly);
    const double min_eig = solver.eigenvalues().minCoeff();
    if (min_eig <= 0) cov.diagonal().array() += std::abs(min_eig) + mean_var * 1e-4;

    Eigen::VectorXd w = EqualWeights(n);
    for (int iter = 0; iter < 1000; ++iter) {
      const Eigen::VectorXd marginal = cov * w;
      Eigen::VectorXd contribution = w.cwiseProduct(marginal);
      const double variance = w.dot(marginal);
      if (variance <= 0) return EqualWeights(n);
      const double target = variance / static_cast<double>(n);
      if ((contribution.array() - target).abs().maxCoeff() < 1e-8) break;
      contribution = (contribution.array() == 0.0).select(1e-12, contribution);
      w = (w.array() * target / contribution.array()).cwiseMax(0.0);
      const double total = w.sum();
      w = total == 0 ? EqualWeights(n) : Eigen::VectorXd(w / total);
    }
    return w;
  }
};

// Hierarchical risk parity: single-linkage order on sqrt(0.5 (1 - rho)), recursive bisection.
class HierarchicalRiskParityScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov) const override {
    const Eigen::Index n = cov.rows();
    if (n == 1) return Eigen::VectorXd::Ones(1);
    Eigen::VectorXd sd = cov.diagonal().cwiseSqrt();
    const double max_sd = sd.maxCoeff();
    sd = (sd.array() == 0.0).select(max_sd * 1e-8, sd);
    Eigen::MatrixXd corr = cov.array() / (sd * sd.transpose()).array();
    corr.diagonal().setOnes();
    if (!corr.allFinite()) corr = Eigen::MatrixXd::Identity(n, n);
    const Eigen::MatrixXd dist = (0.5 * (1.0 - corr.array())).sqrt();
    if (!dist.allFinite()) return EqualWeights(n);

    const std::vector<int> order = SingleLinkageLeafOrder(dist);
    Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
    Bisect(cov, order, 0, order.size(), w);
    w /= w.sum();
    return AllFinite(w) ? w : EqualWeights(n);
  }

 private:
  static double ClusterVariance(const Eigen::MatrixXd& cov, const std::vector<int>& order,
                                std::size_t begin, std::size_t end) {
    const auto m = static_cast<Eigen::Index>(end - begin);
    Eigen::MatrixXd sub(m, m);
    for (Eigen::Index a = 0; a < m; ++a) {
      for (Eigen::Index b = 0; b < m; ++b) {
        sub(a, b) = cov(order[begin + static_cast<std::size_t>(a)],
                        order[begin + static_cast<std::size_t>(b)]);
      }
    }
    Eigen::VectorXd ivp = sub.diagonal().cwiseInverse();
    ivp /= ivp.sum();
    return ivp.dot(sub * ivp);
  }

  static void Bisect(const Eigen::MatrixXd& cov, const std::vector<int>& order, std::size_t begin,
                     std::size_t end, Eigen::VectorXd& w) {
    if (end - begin <= 1) return;
    const std::size_t mid = begin + (end - begin) / 2;
    const double left = ClusterVariance(cov, order, begin, mid);
    const double right = ClusterVariance(cov, order, mid, end);
    const double alpha = left + right == 0.0 ? 0.5 : 1.0 - left / (left + right);
    for (std::size_t i = begin; i < mid; ++i) w[order[i]] *= alpha;
    for (std::size_t i = mid; i < end; ++i) w[order[i]] *= 1.0 - alpha;
    Bisect(cov, order, begin, mid, w);
    Bisect(cov, order, mid, end, w);
  }
};

// Minimum variance on a shrunk covariance, with HRP as the safe mode for ill-conditioned input.
class RobustMeanVarianceScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov) const override {
    const Eigen::Index p = cov.rows();
    const double mu = cov.trace() / static_cast<double>(p);
    const Eigen::MatrixXd target = mu * Eigen::MatrixXd::Identity(p, p);
    const double n_hat = std::max(static_cast<double>(p + 1), 2.0 * static_cast<double>(p));
    const double tr_s2 = (cov * cov).trace();
    const Eigen::MatrixXd diff = cov - target;
    const double delta =
        tr_s2 == 0.0 ? 1.0 : std::min(1.0, (diff * diff).trace() / (n_hat * tr_s2));
    const Eigen::MatrixXd shrunk = (1.0 - delta) * cov + delta * target;

    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(shrunk, Eigen::EigenvaluesOnly);
    double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
    for (Eigen::Index i = 0; i < p; ++i) {
      const double e = solver.eigenvalues()[i];
      if (e > 0) {
        lo = std::min(lo, e);
        hi = std::max(hi, e);
      }
    }
    const double cond = std::isinf(lo) ? std::numeric_limits<double>::infinity() : hi / lo;
    if (cond > 1e12) return HierarchicalRiskParityScheme().Weights(cov);

    Eigen::FullPivLU<Eigen::MatrixXd> lu(shrunk);
    if (!lu.isInvertible()) return EqualWeights(p);
    const Eigen::VectorXd inv_ones = lu.solve(Eigen::VectorXd::Ones(p));
    const double denom = inv_ones.sum();
    if (std::abs(denom) < 1e-12) return EqualWeights(p);
    Eigen::VectorXd w = (inv_ones / denom).cwiseMax(0.0).cwiseMin(1.0);
    const double total = w.sum();
    if (total <= 0) return EqualWeights(p);
    return w / total;
  }
};

// w proportional to 1 / sigma on a regularised diagonal.
class RobustRiskParityScheme final : public WeightingScheme {
 public:
  Eigen::VectorXd Weights(const Eigen::MatrixXd& cov_in) const override {
    const Eigen::Index p = cov_in.rows();
    Eigen::MatrixXd cov = cov_in;
    if ((cov.diagonal().array() <= 0).any() || ConditionNumber(cov) > 1e12) {
      cov.diagonal().array() += 1e-6 * cov.trace() / static_cast<double>(p);
    }
    Eigen::VectorXd sigma = cov.diagonal().cwiseMax(0.0).cwiseSqrt();
    sigma = sigma.unaryExpr([](double s) { return std::isfinite(s) ? s : 0.0; });
    const double max_sigma = sigma.maxCoeff();
    if (max_sigma == 0.0) return EqualWeights(p);
    sigma = sigma.cwiseMax(max_sigma * 1e-8);
    Eigen::VectorXd w = sigma.cwiseInverse();
    return w / w.sum();
  }
};

WeightingRegistry MakeBuiltins() {
  WeightingRegistry registry;
  registry.Register("equal", [] { return std::make_unique<EqualScheme>(); });
  registry.Register("risk_parity", [] { return std::make_unique<RiskParityScheme>(); });
  registry.Register("vol_inverse", [] { return std::make_unique<RiskParityScheme>(); });
  registry.Register("erc", [] { return std::make_unique<EqualRiskContributionScheme>(); });
  registry.Register("hrp", [] { return std::make_unique<HierarchicalRiskParityScheme>(); });
  registry.Register("robust_mv", [] { return std::make_unique<RobustMeanVarianceScheme>(); });
  registry.Register("robust_mean_variance",
                    [] { return std::make_unique<RobustMeanVarianceScheme>(); });
  registry.Register("robust_risk_parity",
                    [] { return std::make_unique<RobustRiskParityScheme>(); });
  return registry;
}

}  // namespace

std::vector<int> SingleLinkageLeafOrder(const Eigen::MatrixXd& distance) {
  const int n = static_cast<int>(distance.rows());
  if (n == 1) return {0};
  struct Merge {
    int a, b;
    double dist;
  };
  // Prim's algorithm on the complete graph, as scipy's mst_single_linkage.
  std::vector<Merge> merges;
  std::vector<bool> merged(static_cast<std::size_t>(n), false);
  std::vector<double> best(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
  int x = 0;
  for (int k = 0; k < n - 1; ++k) {
    double current_min = std::numeric_limits<double>::infinity();
    int y = 0;
    merged[static_cast<std::size_t>(x)] = true;
    for (int i = 0; i < n; ++i) {
      if (merged[static_cast<std::size_t>(i)]) continue;
      const double d = distance(x, i);
      auto& b = best[static_cast<std::size_t>(i)];
      if (b > d) b = d;
      if (b < current_min) {
        y = i;
        current_min = b;
      }
    }
    merges.push_back({x, y, current_min});
    x = y;
  }
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge& l, const Merge& r) { return l.dist < r.dist; });
  // Relabel with a union-find: cluster ids n, n+1, ... in merge order; smaller id on the left.
  std::vector<int> parent(static_cast<std::size_t>(2 * n - 1));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int v) {
    int root = v;
    while (parent[static_cast<std::size_t>(root)] != root)
      root = parent[static_cast<std::size_t>(root)];
    while (parent[static_cast<std::size_t>(v)] != root) {
      const int next = parent[static_cast<std::size_t>(v)];
      parent[static_cast<std::size_t>(v)] = root;
      v = next;
    }
    return root;
  };
  std::vector<std::pair<int, int>> children(static_cast<std::size_t>(n - 1));
  for (int i = 0; i < n - 1; ++i) {
    const int ra = find(merges[static_cast<std::size_t>(i)].a);
    const int rb = find(merges[static_cast<std::size_t>(i)].b);
    children[static_cast<std::size_t>(i)] = {std::min(ra, rb), std::max(ra, rb)};
    parent[static_cast<std::size_t>(ra)] = n + i;
    parent[static_cast<std::size_t>(rb)] = n + i;
  }
  std::vector<int> leaves;
  std::vector<int> stack = {2 * n - 2};
  while (!stack.empty()) {
    const int node = stack.back();
    stack.pop_back();
    if (node < n) {
      leaves.push_back(node);
    } else {
      const auto& [left, right] = children[static_cast<std::size_t>(node - n)];
      stack.push_back(right);
      stack.push_back(left);
    }
  }
  return leaves;
}

const WeightingRegistry& BuiltinWeightingSchemes() {
  static const WeightingRegistry kRegistry = MakeBuiltins();
  return kRegistry;
}

}  // namespace trend
