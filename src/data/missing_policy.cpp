#include "data/missing_policy.hpp"

#include <fmt/format.h>

#include <cmath>

#include "error/input_error.hpp"
#include "parallel/parallel_ranges.hpp"

namespace trend {

std::string_view MissingPolicyName(MissingPolicyKind kind) {
  switch (kind) {
    case MissingPolicyKind::kDrop:
      return "drop";
    case MissingPolicyKind::kFfill:
      return "ffill";
    case MissingPolicyKind::kZero:
      return "zero";
  }
  return "drop";
}

MissingPolicyKind MissingPolicy::PolicyFor(const std::string& column) const {
  const auto it = per_column.find(column);
  return it == per_column.end() ? default_policy : it->second;
}

std::optional<int> MissingPolicy::LimitFor(const std::string& column) const {
  const auto it = per_column_limit.find(column);
  return it == per_column_limit.end() ? default_limit : it->second;
}

int LongestNaNRun(const Eigen::Ref<const Eigen::VectorXd>& column) {
  int longest = 0, run = 0;
  for (Eigen::Index i = 0; i < column.size(); ++i) {
    run = std::isnan(column[i]) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

namespace {

// pandas ffill(limit): inside each NaN gap, at most `limit` cells are filled from the start.
int ForwardFill(Eigen::Ref<Eigen::VectorXd> column, std::optional<int> limit) {
  int filled = 0, gap = 0;
  bool have_value = false;
  double last = 0.0;
  for (Eigen::Index i = 0; i < column.size(); ++i) {
    if (!std::isnan(column[i])) {
      last = column[i];
      have_value = true;
      gap = 0;
    } else if (have_value && (!limit || gap < *limit)) {
      column[i] = last;
      ++gap;
      ++filled;
    } else {
      ++gap;
    }
  }
  return filled;
}

int CountNaN(const Eigen::Ref<const Eigen::VectorXd>& column) {
  return static_cast<int>(column.array().isNaN().count());
}

// Removes the columns not kept, moving the kept ones left in place (no second frame).
void KeepColumns(ReturnsFrame& frame, const std::vector<bool>& keep) {
  Eigen::Index kept = 0;
  std::vector<std::string> names;
  for (std::size_t j = 0; j < keep.size(); ++j) {
    if (!keep[j]) continue;
    const auto from = static_cast<Eigen::Index>(j);
    if (kept != from) frame.values.col(kept) = frame.values.col(from);
    names.push_back(std::move(frame.columns[j]));
    ++kept;
  }
  if (kept == frame.values.cols()) {
    frame.columns = std::move(names);
    return;
  }
  frame.values.conservativeResize(Eigen::NoChange, kept);
  frame.columns = std::move(names);
}

struct ColumnOutcome {
  int missing = 0;
  int filled = 0;
  bool drop = false;
};

// The load layer on one column. For ffill one pass both measures the NaN runs and fills
// forward: if a run exceeds the limit the column is dropped and its contents no longer matter;
// otherwise every run is within the limit, so the limited ffill-then-bfill of the reference
// fills every gap after the first value and the leading run from the first value.
ColumnOutcome ApplyLoadPolicyToColumn(Eigen::Ref<Eigen::VectorXd> column, MissingPolicyKind kind,
                                      std::optional<int> limit) {
  ColumnOutcome out;
  out.missing = CountNaN(column);
  if (out.missing == 0) return out;
  if (kind == MissingPolicyKind::kDrop) {
    out.drop = true;
  } else if (kind == MissingPolicyKind::kZero) {
    out.drop = limit && LongestNaNRun(column) > *limit;
    if (!out.drop) {
      column = column.array().isNaN().select(0.0, column);
      out.filled = out.missing;
    }
  } else {
    int longest = 0, run = 0;
    Eigen::Index first_value = -1;
    double last = 0.0;
    for (Eigen::Index i = 0; i < column.size(); ++i) {
      if (std::isnan(column[i])) {
        longest = std::max(longest, ++run);
        if (first_value >= 0) column[i] = last;
      } else {
        last = column[i];
        run = 0;
        if (first_value < 0) first_value = i;
      }
    }
    out.drop = first_value < 0 || (limit && longest > *limit);
    if (!out.drop) {
      column.head(first_value).setConstant(column[first_value]);
      out.filled = out.missing;
    }
  }
  return out;
}

}  // namespace

MissingReport ApplyLoadMissingPolicy(ReturnsFrame& frame, const MissingPolicy& policy,
                                     std::string_view source) {
  // Columns are independent: a wide daily file is filled on every core.
  std::vector<ColumnOutcome> outcomes(frame.cols());
  ParallelRanges(
      frame.cols(), MinColumnsPerSlice(frame.rows()), [&](std::size_t begin, std::size_t end) {
        for (std::size_t j = begin; j < end; ++j) {
          const std::string& name = frame.columns[j];
          outcomes[j] = ApplyLoadPolicyToColumn(frame.values.col(static_cast<Eigen::Index>(j)),
                                                policy.PolicyFor(name), policy.LimitFor(name));
        }
      });
  MissingReport report;
  std::vector<bool> keep(frame.cols(), true);
  for (std::size_t j = 0; j < frame.cols(); ++j) {
    const ColumnOutcome& outcome = outcomes[j];
    if (outcome.drop) {
      keep[j] = false;
      report.dropped.push_back(frame.columns[j]);
    } else if (outcome.missing > 0) {
      report.filled[frame.columns[j]] = outcome.filled;
      report.total_filled += outcome.filled;
    }
  }
  if (report.dropped.size() == frame.cols()) {
    throw InputError(fmt::format(
        "{}: every column has missing values and data.missing_policy ({}) removed them all", source,
        MissingPolicyName(policy.default_policy)));
  }
  KeepColumns(frame, keep);
  return report;
}

MissingReport ApplyPanelMissingPolicy(ReturnsFrame& frame, const MissingPolicy& policy,
                                      bool enforce_completeness) {
  MissingReport report;
  std::vector<bool> keep(frame.cols(), true);
  for (std::size_t j = 0; j < frame.cols(); ++j) {
    auto column = frame.values.col(static_cast<Eigen::Index>(j));
    const int missing = CountNaN(column);
    if (missing == 0) continue;
    const std::string& name = frame.columns[j];
    switch (policy.PolicyFor(name)) {
      case MissingPolicyKind::kDrop:
        keep[j] = !enforce_completeness;
        break;
      case MissingPolicyKind::kFfill: {
        const int filled = ForwardFill(column, policy.LimitFor(name));
        if (filled > 0) report.filled[name] = filled;
        if (CountNaN(column) > 0 && enforce_completeness && frame.cols() > 1) keep[j] = false;
        break;
      }
      case MissingPolicyKind::kZero:
        column = column.array().isNaN().select(0.0, column);
        report.filled[name] = missing;
        break;
    }
    if (!keep[j]) {
      report.dropped.push_back(name);
      report.filled.erase(name);
    }
  }
  for (const auto& [name, n] : report.filled) report.total_filled += n;
  KeepColumns(frame, keep);
  return report;
}

}  // namespace trend
