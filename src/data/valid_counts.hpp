// Counts of non-missing cells per column over any row range in O(1), from prefix sums built
// once per panel. Every period of a walk-forward backtest asks the same questions (is this
// fund complete in the window? how many values does this column have in the span?) of the
// same panel; the answers come from one pass instead of a scan per period.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace trend {

class ValidCounts {
 public:
  ValidCounts() = default;
  explicit ValidCounts(const Eigen::MatrixXd& values);

  bool empty() const { return prefix_.size() == 0; }
  // Non-NaN cells of `col` in rows [first, last], inclusive.
  int InRange(std::size_t col, Eigen::Index first, Eigen::Index last) const {
    const auto c = static_cast<Eigen::Index>(col);
    return prefix_(last + 1, c) - prefix_(first, c);
  }
  // Non-NaN cells of `col` in the given ascending rows (runs of consecutive rows are O(1)).
  int InRows(std::size_t col, const std::vector<Eigen::Index>& rows) const;

  // The same question answered from `counts` when built, else by scanning `values`.
  static int Count(const ValidCounts& counts, const Eigen::MatrixXd& values, std::size_t col,
                   const std::vector<Eigen::Index>& rows);

  // The eligibility rule of every path (spec §3.3, §9.4 step 1): no missing value in either
  // window.
  static bool CompleteIn(const ValidCounts& counts, const Eigen::MatrixXd& values, std::size_t col,
                         const std::vector<Eigen::Index>& in_rows,
                         const std::vector<Eigen::Index>& out_rows) {
    return Count(counts, values, col, in_rows) == static_cast<int>(in_rows.size()) &&
           Count(counts, values, col, out_rows) == static_cast<int>(out_rows.size());
  }

 private:
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic> prefix_;  // (rows + 1) x cols
};

}  // namespace trend
