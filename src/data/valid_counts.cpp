#include "data/valid_counts.hpp"

#include <cmath>

namespace trend {

ValidCounts::ValidCounts(const Eigen::MatrixXd& values)
    : prefix_(values.rows() + 1, values.cols()) {
  for (Eigen::Index c = 0; c < values.cols(); ++c) {
    prefix_(0, c) = 0;
    for (Eigen::Index r = 0; r < values.rows(); ++r) {
      prefix_(r + 1, c) = prefix_(r, c) + (std::isnan(values(r, c)) ? 0 : 1);
    }
  }
}

int ValidCounts::InRows(std::size_t col, const std::vector<Eigen::Index>& rows) const {
  int count = 0;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i;
    while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1) ++j;
    count += InRange(col, rows[i], rows[j]);
    i = j + 1;
  }
  return count;
}

int ValidCounts::Count(const ValidCounts& counts, const Eigen::MatrixXd& values, std::size_t col,
                       const std::vector<Eigen::Index>& rows) {
  if (!counts.empty()) return counts.InRows(col, rows);
  int n = 0;
  for (Eigen::Index r : rows) n += std::isnan(values(r, static_cast<Eigen::Index>(col))) ? 0 : 1;
  return n;
}

}  // namespace trend
