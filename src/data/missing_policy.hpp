// Missing-data policies applied to whole columns: once to the raw file (load layer) and once to
// the month-end panel (preprocessing layer). Spec §1.3 layers A and B.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/returns_frame.hpp"

namespace trend {

enum class MissingPolicyKind { kDrop, kFfill, kZero };

std::string_view MissingPolicyName(MissingPolicyKind kind);

struct MissingPolicy {
  MissingPolicyKind default_policy = MissingPolicyKind::kDrop;
  std::optional<int> default_limit;  // nullopt = unbounded
  std::map<std::string, MissingPolicyKind> per_column;
  std::map<std::string, std::optional<int>> per_column_limit;

  MissingPolicyKind PolicyFor(const std::string& column) const;
  std::optional<int> LimitFor(const std::string& column) const;

  bool operator==(const MissingPolicy&) const = default;
};

struct MissingReport {
  std::vector<std::string> dropped;   // columns removed, in frame order
  std::map<std::string, int> filled;  // cells filled per column
  int total_filled = 0;
};

// Load layer: drop a column with any NaN (drop), or one whose longest NaN run exceeds the
// limit (ffill, zero); ffill fills forward then backward; zero fills 0. Every column dropped is
// an InputError naming `source`.
MissingReport ApplyLoadMissingPolicy(ReturnsFrame& frame, const MissingPolicy& policy,
                                     std::string_view source);

// Preprocessing layer: ffill has no back-fill; with `enforce_completeness` a column that still
// has NaN is removed (ffill only while another column remains).
MissingReport ApplyPanelMissingPolicy(ReturnsFrame& frame, const MissingPolicy& policy,
                                      bool enforce_completeness);

// Longest run of consecutive NaN in a column.
int LongestNaNRun(const Eigen::Ref<const Eigen::VectorXd>& column);

}  // namespace trend
