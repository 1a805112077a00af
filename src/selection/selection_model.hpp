// Selection models choose which eligible funds enter the portfolio. Each is a small
// implementation of SelectionModel registered by name; the pipeline (and later the app's
// pipeline proxy and plugins) resolve them through a SelectionRegistry.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "registry/named_registry.hpp"

#include "config/settings.hpp"

namespace trend {

struct SelectionContext {
  const std::vector<std::string>& candidates;  // eligible funds, in data-column order
  const Eigen::MatrixXd& in_sample;            // raw in-sample returns, one column per candidate
  const PortfolioSettings& portfolio;
  std::uint64_t seed;
};

class SelectionModel {
 public:
  virtual ~SelectionModel() = default;
  // Indices into ctx.candidates, in selection order (rank: best first). May be empty.
  virtual std::vector<std::size_t> Select(const SelectionContext& ctx) const = 0;
};

using SelectionRegistry = NamedRegistry<SelectionModel>;

// all, random, manual and rank. Callers copy it to add or override models.
const SelectionRegistry& BuiltinSelectionModels();

// Rank selection's firm key: `Mgr_01` -> "mgr", "ABC Fund 1" -> "abc",
// "Larch Managed II" -> "larch managed" (spec §5.2 step 6).
std::string FirmKey(const std::string& fund_name);

// The scores rank selection orders funds by (after the transform), NaN where not scorable,
// and whether smaller scores rank first. Exposed for tests and the score report.
struct RankScores {
  std::vector<double> scores;  // one per candidate
  bool ascending = false;
};
RankScores ComputeRankScores(const Eigen::MatrixXd& in_sample, const RankSettings& rank);

}  // namespace trend
