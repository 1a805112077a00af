#include "data/missing_policy.hpp"

#include <fmt/format.h>

#include <cmath>

#include "error/input_error.hpp"

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

int BackwardFill(Eigen::Ref<Eigen::VectorXd> column, std::optional<int> limit) {
  Eigen::VectorXd reversed = column.reverse();
  const int filled = ForwardFill(reversed, limit);
  column = reversed.reverse();
  return filled;
}

int CountNaN(const Eigen::Ref<const Eigen::VectorXd>& column) {
  return static_cast<int>(column.array().isNaN().count());
}

void KeepColumns(ReturnsFrame& frame, const std::vector<bool>& keep) {
  std::vector<std::size_t> indices;
  for (std::size_t j = 0; j < keep.size(); ++j) {
    if (keep[j]) indices.push_back(j);
  }
  if (indices.size() != keep.size()) frame = frame.SelectColumns(indices);
}

}  // namespace

MissingReport ApplyLoadMissingPolicy(ReturnsFrame& frame, const MissingPolicy& policy,
                                     std::string_view source) {
  MissingReport report;
  std::vector<bool> keep(frame.cols(), true);
  for (std::size_t j = 0; j < frame.cols(); ++j) {
    auto column = frame.values.col(static_cast<Eigen::Index>(j));
    const int missing = CountNaN(column);
    if (missing == 0) continue;
    const std::string& name = frame.columns[j];
    const MissingPolicyKind kind = policy.PolicyFor(name);
    const std::optional<int> limit = policy.LimitFor(name);
    bool drop = kind == MissingPolicyKind::kDrop || (limit && LongestNaNRun(column) > *limit);
    if (!drop && kind == MissingPolicyKind::kFfill) {
      const int filled = ForwardFill(column, limit) + BackwardFill(column, limit);
      drop = CountNaN(column) > 0;
      if (!drop) report.filled[name] = filled;
    } else if (!drop && kind == MissingPolicyKind::kZero) {
      column = column.array().isNaN().select(0.0, column);
      report.filled[name] = missing;
    }
    if (drop) {
      keep[j] = false;
      report.dropped.push_back(name);
      report.filled.erase(name);
    }
  }
  for (const auto& [name, n] : report.filled) report.total_filled += n;
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
