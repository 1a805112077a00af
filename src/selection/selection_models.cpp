#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>

#include "error/input_error.hpp"
#include "metrics/score_metric.hpp"
#include "selection/numpy_random.hpp"
#include "selection/selection_model.hpp"

namespace trend {

std::string FirmKey(const std::string& fund_name) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : fund_name) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      current.push_back(c);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (tokens.empty()) {
    std::string trimmed = fund_name;
    trimmed.erase(0, trimmed.find_first_not_of(" \t"));
    trimmed.erase(trimmed.find_last_not_of(" \t") + 1);
    return lower(trimmed);
  }
  const std::string& first = tokens[0];
  const bool all_upper = std::all_of(first.begin(), first.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c));
  });
  if (all_upper || first.size() <= 3 || tokens.size() == 1) return lower(first);
  return lower(first + " " + tokens[1]);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean and std over the non-NaN values.
std::pair<double, double> MeanStd(const std::vector<double>& v, int ddof) {
  double sum = 0;
  int n = 0;
  for (double x : v) {
    if (!std::isnan(x)) {
      sum += x;
      ++n;
    }
  }
  if (n == 0) return {kNaN, kNaN};
  const double mean = sum / n;
  if (n - ddof <= 0) return {mean, kNaN};
  double ss = 0;
  for (double x : v) {
    if (!std::isnan(x)) ss += (x - mean) * (x - mean);
  }
  return {mean, std::sqrt(ss / (n - ddof))};
}

// Descending rank with ties averaged (1 = largest), NaN stays NaN.
std::vector<double> DescendingRank(const std::vector<double>& v) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isnan(v[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] > v[b]; });
  std::vector<double> ranks(v.size(), kNaN);
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = average;
    i = j + 1;
  }
  return ranks;
}

// Python's round(): half to even.
long RoundHalfEven(double x) {
  return static_cast<long>(std::nearbyint(x));
}

}  // namespace

RankScores ComputeRankScores(const Eigen::MatrixXd& in_sample, const RankSettings& rank) {
  RankScores out;
  bool metric_ascending = false;
  if (rank.blended) {
    if (rank.blended_weights.empty()) {
      throw ConfigError("portfolio.rank.blended_weights: required when score_by is blended");
    }
    double total = 0;
    for (const auto& [metric, w] : rank.blended_weights) total += w;
    if (total == 0) throw ConfigError("portfolio.rank.blended_weights: the weights sum to 0");
    out.scores.assign(static_cast<std::size_t>(in_sample.cols()), 0.0);
    for (const auto& [metric, w] : rank.blended_weights) {
      const std::vector<double> values = MetricAcrossColumns(metric, in_sample, nullptr);
      const auto [mean, sd] = MeanStd(values, 0);
      for (std::size_t i = 0; i < values.size(); ++i) {
        double z = sd == 0 ? 0.0 : (values[i] - mean) / sd;
        if (std::isnan(sd)) z = kNaN;
        if (SmallerIsBetter(metric)) z = -z;
        out.scores[i] += (w / total) * z;
      }
    }
  } else {
    out.scores = MetricAcrossColumns(rank.score_by, in_sample, nullptr);
    metric_ascending = SmallerIsBetter(rank.score_by);
  }

  if (rank.transform == RankTransform::kRank) {
    out.scores = DescendingRank(out.scores);
  } else if (rank.transform == RankTransform::kPercentile) {
    const std::vector<double> ranks = DescendingRank(out.scores);
    const long k =
        std::max(RoundHalfEven(static_cast<double>(out.scores.size()) * rank.rank_pct), 1L);
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      if (!(ranks[i] <= static_cast<double>(k))) out.scores[i] = kNaN;
    }
  } else if (rank.transform == RankTransform::kZscore) {
    std::vector<double> window = out.scores;
    if (rank.zscore_window && *rank.zscore_window < static_cast<int>(window.size())) {
      window.erase(window.begin(), window.end() - *rank.zscore_window);
    }
    const auto [mean, sd] = MeanStd(window, rank.zscore_ddof);
    for (double& s : out.scores) {
      s = (!std::isfinite(sd) || sd == 0) ? 0.0 : (s - mean) / sd;
    }
  }
  out.ascending = rank.transform == RankTransform::kRank || metric_ascending;
  return out;
}

namespace {

class AllSelection final : public SelectionModel {
 public:
  std::vector<std::size_t> Select(const SelectionContext& ctx) const override {
    std::vector<std::size_t> all(ctx.candidates.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
};

class RandomSelection final : public SelectionModel {
 public:
  std::vector<std::size_t> Select(const SelectionContext& ctx) const override {
    const auto n = static_cast<std::int64_t>(ctx.candidates.size());
    const std::int64_t k = ctx.portfolio.random_n;
    if (n <= k) return AllSelection().Select(ctx);
    std::vector<std::size_t> picked;
    for (std::int64_t i : NumpyChoiceWithoutReplacement(ctx.seed, n, k)) {
      picked.push_back(static_cast<std::size_t>(i));
    }
    return picked;
  }
};

class ManualSelection final : public SelectionModel {
 public:
  std::vector<std::size_t> Select(const SelectionContext& ctx) const override {
    const std::set<std::string> wanted(ctx.portfolio.manual_list.begin(),
                                       ctx.portfolio.manual_list.end());
    std::vector<std::size_t> picked;
    for (std::size_t i = 0; i < ctx.candidates.size(); ++i) {
      if (wanted.count(ctx.candidates[i])) picked.push_back(i);
    }
    return picked;
  }
};

class RankSelection final : public SelectionModel {
 public:
  std::vector<std::size_t> Select(const SelectionContext& ctx) const override {
    const RankSettings& rank = ctx.portfolio.rank;
    const RankScores scored = ComputeRankScores(ctx.in_sample, rank);
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < scored.scores.size(); ++i) {
      if (!std::isnan(scored.scores[i])) order.push_back(i);
    }
    const auto& s = scored.scores;
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return scored.ascending ? s[a] < s[b] : s[a] > s[b]; });

    std::optional<std::size_t> k;
    if (rank.inclusion_approach == RankInclusion::kTopN) {
      if (!rank.n) throw ConfigError("portfolio.rank.n: required when inclusion_approach is top_n");
      k = static_cast<std::size_t>(*rank.n);
    } else if (rank.inclusion_approach == RankInclusion::kTopPct) {
      if (!rank.pct) {
        throw ConfigError("portfolio.rank.pct: required when inclusion_approach is top_pct");
      }
      k = static_cast<std::size_t>(
          std::max(1L, RoundHalfEven(static_cast<double>(order.size()) * *rank.pct)));
    } else {
      if (!rank.threshold) {
        throw ConfigError(
            "portfolio.rank.threshold: required when inclusion_approach is threshold");
      }
      const double t = *rank.threshold;
      std::erase_if(order, [&](auto i) { return scored.ascending ? !(s[i] <= t) : !(s[i] >= t); });
    }

    if (!rank.limit_one_per_firm) {
      if (k && order.size() > *k) order.resize(*k);
      return order;
    }
    std::vector<std::size_t> picked;
    std::set<std::string> firms;
    std::vector<bool> used(s.size(), false);
    for (std::size_t i : order) {
      if (k && picked.size() >= *k) break;
      if (firms.insert(FirmKey(ctx.candidates[i])).second) {
        picked.push_back(i);
        used[i] = true;
      }
    }
    if (k && picked.size() < *k) {
      for (std::size_t i : order) {
        if (picked.size() >= *k) break;
        if (!used[i]) picked.push_back(i);
      }
    }
    return picked;
  }
};

SelectionRegistry MakeBuiltins() {
  SelectionRegistry registry;
  registry.Register("all", [] { return std::make_unique<AllSelection>(); });
  registry.Register("random", [] { return std::make_unique<RandomSelection>(); });
  registry.Register("manual", [] { return std::make_unique<ManualSelection>(); });
  registry.Register("rank", [] { return std::make_unique<RankSelection>(); });
  return registry;
}

}  // namespace

const SelectionRegistry& BuiltinSelectionModels() {
  static const SelectionRegistry kRegistry = MakeBuiltins();
  return kRegistry;
}

}  // namespace trend
