#include "data/resample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "error/input_error.hpp"
#include "parallel/parallel_ranges.hpp"

namespace trend {

Frequency DetectFrequency(const std::vector<Date>& dates, std::string_view source) {
  if (dates.size() < 2) return Frequency::kMonthly;
  std::array<int, 5> counts{};  // D, W, M, Q, Y
  for (std::size_t i = 1; i < dates.size(); ++i) {
    const int gap = dates[i].days - dates[i - 1].days;
    int bucket = -1;
    if (gap > 0 && gap <= 4)
      bucket = 0;
    else if (gap >= 5 && gap <= 9)
      bucket = 1;
    else if (gap > 9 && gap <= 45)
      bucket = 2;
    else if (gap > 45 && gap <= 120)
      bucket = 3;
    else if (gap > 120)
      bucket = 4;
    if (bucket >= 0) {
      ++counts[static_cast<std::size_t>(bucket)];
    }
  }
  const auto best = std::max_element(counts.begin(), counts.end());  // first max: D, W, M, Q, Y
  const int total = static_cast<int>(dates.size()) - 1;
  if (*best == 0 || (total >= 2 && *best < 0.6 * total)) {
    throw InputError(fmt::format(
        "{}: the dates are too irregular to detect a cadence (daily, weekly, monthly, quarterly "
        "or annual); {} of {} gaps share the most common cadence",
        source, *best, total));
  }
  static constexpr std::array<Frequency, 5> kOrder = {Frequency::kDaily, Frequency::kWeekly,
                                                      Frequency::kMonthly, Frequency::kQuarterly,
                                                      Frequency::kYearly};
  return kOrder[static_cast<std::size_t>(best - counts.begin())];
}

ReturnsFrame ToMonthEnd(ReturnsFrame frame, Frequency input_frequency) {
  ReturnsFrame out;
  out.columns = frame.columns;
  const Eigen::Index cols = frame.values.cols();
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [begin, end) rows per month
  for (std::size_t i = 0; i < frame.rows();) {
    const int month = MonthIndex(frame.dates[i]);
    std::size_t j = i + 1;
    while (j < frame.rows() && MonthIndex(frame.dates[j]) == month) ++j;
    groups.emplace_back(i, j);
    out.dates.push_back(MonthEndFromIndex(month));
    i = j;
  }
  const bool compound = input_frequency != Frequency::kMonthly;
  if (!compound && groups.size() == frame.rows()) {
    // One row per month (the usual monthly file): only the labels change.
    out.values = std::move(frame.values);
    DropEmptyRows(out);
    return out;
  }
  const auto collapse_column = [&](std::size_t c_index) {
    const auto c = static_cast<Eigen::Index>(c_index);
    const auto column = frame.values.col(c);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      double value = std::numeric_limits<double>::quiet_NaN();
      if (compound) {
        double growth = 1.0;
        bool any = false;
        for (std::size_t r = groups[g].first; r < groups[g].second; ++r) {
          const double x = column[static_cast<Eigen::Index>(r)];
          if (std::isnan(x)) continue;
          growth *= 1.0 + x;
          any = true;
        }
        if (any) value = growth - 1.0;
      } else {
        for (std::size_t r = groups[g].second; r-- > groups[g].first;) {
          const double x = column[static_cast<Eigen::Index>(r)];
          if (!std::isnan(x)) {
            value = x;
            break;
          }
        }
      }
      out.values(static_cast<Eigen::Index>(g), c) = value;
    }
  };
  out.values.resize(static_cast<Eigen::Index>(groups.size()), cols);
  ParallelRanges(static_cast<std::size_t>(cols), MinColumnsPerSlice(frame.rows()),
                 [&](std::size_t begin, std::size_t end) {
                   for (std::size_t c = begin; c < end; ++c) collapse_column(c);
                 });
  DropEmptyRows(out);
  return out;
}

void DropEmptyRows(ReturnsFrame& frame) {
  std::vector<bool> keep(frame.rows());
  bool any_empty = false;
  for (std::size_t i = 0; i < frame.rows(); ++i) {
    keep[i] = !frame.values.row(static_cast<Eigen::Index>(i)).array().isNaN().all();
    any_empty = any_empty || !keep[i];
  }
  if (any_empty) frame = frame.SelectRows(keep);
}

namespace {

// Why a column does not look like decimal returns, or nothing if it does.
std::optional<std::string> ReturnsLikeProblem(const Eigen::Ref<const Eigen::VectorXd>& column,
                                              std::string_view name, std::string_view source,
                                              std::vector<double>& magnitudes) {
  // Fast path: every |x| <= 1 is returns-like whatever the median.
  // PropagateNumbers skips NaN and vectorises; an all-NaN column gives NaN, which passes.
  const double max_abs =
      column.size() == 0 ? 0.0 : column.array().abs().maxCoeff<Eigen::PropagateNumbers>();
  if (!(max_abs > 1.0)) return std::nullopt;
  magnitudes.clear();
  int negatives = 0;
  for (Eigen::Index i = 0; i < column.size(); ++i) {
    const double x = column[i];
    if (std::isnan(x)) continue;
    magnitudes.push_back(std::abs(x));
    negatives += x < 0 ? 1 : 0;
  }
  auto mid = magnitudes.begin() + static_cast<std::ptrdiff_t>(magnitudes.size() / 2);
  std::nth_element(magnitudes.begin(), mid, magnitudes.end());
  double median = *mid;
  if (magnitudes.size() % 2 == 0) {
    median = 0.5 * (median + *std::max_element(magnitudes.begin(), mid));
  }
  const double negative_share =
      static_cast<double>(negatives) / static_cast<double>(magnitudes.size());
  const bool returns_like =
      (median <= 0.5 && max_abs <= 5.0) || (negative_share >= 0.05 && max_abs <= 10.0);
  if (returns_like) return std::nullopt;
  return fmt::format(
      "{}: column '{}' does not look like decimal returns (median |x| {:.4g}, max |x| {:.4g}); "
      "supply periodic returns such as 0.012 for +1.2%, not prices",
      source, name, median, max_abs);
}

}  // namespace

void CheckLooksLikeReturns(const ReturnsFrame& frame, std::string_view source) {
  std::vector<std::optional<std::string>> problems(frame.cols());
  ParallelRanges(
      frame.cols(), MinColumnsPerSlice(frame.rows()), [&](std::size_t begin, std::size_t end) {
        std::vector<double> magnitudes;
        for (std::size_t j = begin; j < end; ++j) {
          problems[j] = ReturnsLikeProblem(frame.values.col(static_cast<Eigen::Index>(j)),
                                           frame.columns[j], source, magnitudes);
        }
      });
  for (const auto& problem : problems) {
    if (problem) throw InputError(*problem);
  }
}

}  // namespace trend
