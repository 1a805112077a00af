// The named values a config may give (metrics, modes, schemes, frequencies), as enums with one
// table of spellings each. The config edge turns every spelling into an enum once; the numeric
// core works on the enums and asks this table only for a display name.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace trend {

// A value's canonical name and the other spellings the reference accepts for it.
template <typename Enum>
struct NamedChoice {
  Enum value;
  std::string_view name;
  std::array<std::string_view, 5> aliases{};  // unused slots are empty
};

// The metrics rank selection and the score frame know (spec §4.3, core/rank_selection.py).
enum class Metric {
  kAnnualReturn,
  kVolatility,
  kSharpe,
  kSortino,
  kMaxDrawdown,
  kInformationRatio,
  kAvgCorr,
};

inline constexpr std::array<NamedChoice<Metric>, 7> kMetricNames = {{
    {Metric::kAnnualReturn, "AnnualReturn", {"annual_return"}},
    {Metric::kVolatility, "Volatility", {"volatility"}},
    {Metric::kSharpe, "Sharpe", {"sharpe", "sharpe_ratio"}},
    {Metric::kSortino, "Sortino", {"sortino_ratio"}},
    {Metric::kMaxDrawdown, "MaxDrawdown", {"max_drawdown"}},
    {Metric::kInformationRatio, "InformationRatio", {"information_ratio"}},
    {Metric::kAvgCorr, "AvgCorr", {"avg_corr"}},
}};

// The threshold-hold score frame's columns (spec §9.4 step 2): CAGR, not AnnualReturn.
enum class HoldColumn { kCAGR, kVolatility, kSharpe, kSortino, kInformationRatio, kMaxDrawdown };

inline constexpr std::array<NamedChoice<HoldColumn>, 6> kHoldColumnNames = {{
    {HoldColumn::kCAGR, "CAGR", {}},
    {HoldColumn::kVolatility, "Volatility", {}},
    {HoldColumn::kSharpe, "Sharpe", {}},
    {HoldColumn::kSortino, "Sortino", {}},
    {HoldColumn::kInformationRatio, "InformationRatio", {}},
    {HoldColumn::kMaxDrawdown, "MaxDrawdown", {}},
}};

enum class RankInclusion { kTopN, kTopPct, kThreshold };

inline constexpr std::array<NamedChoice<RankInclusion>, 3> kRankInclusionNames = {{
    {RankInclusion::kTopN, "top_n", {}},
    {RankInclusion::kTopPct, "top_pct", {}},
    {RankInclusion::kThreshold, "threshold", {}},
}};

enum class RankTransform { kRaw, kRank, kPercentile, kZscore };

inline constexpr std::array<NamedChoice<RankTransform>, 4> kRankTransformNames = {{
    {RankTransform::kRaw, "raw", {}},
    {RankTransform::kRank, "rank", {}},
    {RankTransform::kPercentile, "percentile", {}},
    {RankTransform::kZscore, "zscore", {}},
}};

// sample_split.method: "date" or anything else, which the reference treats as a ratio split.
enum class SplitMethod { kDate, kRatio };

inline constexpr std::array<NamedChoice<SplitMethod>, 2> kSplitMethodNames = {{
    {SplitMethod::kDate, "date", {}},
    {SplitMethod::kRatio, "ratio", {}},
}};

enum class RegimeMethod { kRollingReturn, kVolatility };

inline constexpr std::array<NamedChoice<RegimeMethod>, 2> kRegimeMethodNames = {{
    {RegimeMethod::kRollingReturn, "rolling_return", {"rolling", "return"}},
    {RegimeMethod::kVolatility, "volatility", {"vol", "std"}},
}};

// portfolio.policy: threshold_hold switches the multi-period engine; anything else is the
// default path.
enum class PortfolioPolicy { kDefault, kThresholdHold };

inline constexpr std::array<NamedChoice<PortfolioPolicy>, 2> kPortfolioPolicyNames = {{
    {PortfolioPolicy::kDefault, "default", {"", "none"}},
    {PortfolioPolicy::kThresholdHold, "threshold_hold", {}},
}};

// portfolio.weighting.name in the threshold-hold path; the reference maps every other name
// (score_prop, robust_mv, ...) to equal weights there.
enum class HoldingsWeighting { kEqual, kScorePropBayes, kAdaptiveBayes };

inline constexpr std::array<NamedChoice<HoldingsWeighting>, 3> kHoldingsWeightingNames = {{
    {HoldingsWeighting::kEqual, "equal", {"ew"}},
    {HoldingsWeighting::kScorePropBayes, "score_prop_bayes", {"bayes", "score_bayes"}},
    {HoldingsWeighting::kAdaptiveBayes, "adaptive_bayes", {"adaptive"}},
}};

enum class PeriodFrequency { kMonthly, kQuarterly, kAnnual };

inline constexpr std::array<NamedChoice<PeriodFrequency>, 3> kPeriodFrequencyNames = {{
    {PeriodFrequency::kMonthly, "M", {"ME", "monthly"}},
    {PeriodFrequency::kQuarterly, "Q", {"QE", "quarterly"}},
    {PeriodFrequency::kAnnual, "A", {"Y", "YE", "annual", "annually", "yearly"}},
}};

inline constexpr int MonthsPerPeriod(PeriodFrequency f) {
  return f == PeriodFrequency::kMonthly ? 1 : f == PeriodFrequency::kQuarterly ? 3 : 12;
}

enum class VolDecay { kSimple, kEwma };

inline constexpr std::array<NamedChoice<VolDecay>, 2> kVolDecayNames = {{
    {VolDecay::kSimple, "simple", {}},
    {VolDecay::kEwma, "ewma", {}},
}};

enum class WeightPolicyMode { kDrop, kCarry, kCash };

inline constexpr std::array<NamedChoice<WeightPolicyMode>, 3> kWeightPolicyModeNames = {{
    {WeightPolicyMode::kDrop, "drop", {}},
    {WeightPolicyMode::kCarry, "carry", {}},
    {WeightPolicyMode::kCash, "cash", {}},
}};

// The canonical name of an enum value, for reports and messages.
template <typename Enum, std::size_t N>
constexpr std::string_view NameIn(const std::array<NamedChoice<Enum>, N>& table, Enum value) {
  for (const auto& choice : table) {
    if (choice.value == value) return choice.name;
  }
  return {};
}

inline constexpr std::string_view NameOf(Metric m) {
  return NameIn(kMetricNames, m);
}
inline constexpr std::string_view NameOf(HoldColumn c) {
  return NameIn(kHoldColumnNames, c);
}
inline constexpr std::string_view NameOf(PortfolioPolicy p) {
  return NameIn(kPortfolioPolicyNames, p);
}
inline constexpr std::string_view NameOf(HoldingsWeighting w) {
  return NameIn(kHoldingsWeightingNames, w);
}
inline constexpr std::string_view NameOf(PeriodFrequency f) {
  return NameIn(kPeriodFrequencyNames, f);
}

// Only MaxDrawdown ranks ascending (the reference ranks Volatility descending too).
inline constexpr bool SmallerIsBetter(Metric m) {
  return m == Metric::kMaxDrawdown;
}
inline constexpr bool SmallerIsBetter(HoldColumn c) {
  return c == HoldColumn::kMaxDrawdown;
}

}  // namespace trend
