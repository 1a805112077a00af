// Prefix counts of non-missing cells agree with a direct scan for ranges and row lists.
#include "data/valid_counts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace trend {
namespace {

TEST(ValidCounts, MatchesAScanForEveryRangeAndRowList) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd v(6, 2);
  v << 1, nan, nan, 2, 3, nan, 4, 4, nan, nan, 6, 6;
  const ValidCounts counts(v);
  for (Eigen::Index c = 0; c < 2; ++c) {
    for (Eigen::Index a = 0; a < 6; ++a) {
      for (Eigen::Index b = a; b < 6; ++b) {
        int expected = 0;
        for (Eigen::Index r = a; r <= b; ++r) expected += std::isnan(v(r, c)) ? 0 : 1;
        EXPECT_EQ(counts.InRange(static_cast<std::size_t>(c), a, b), expected) << a << ".." << b;
      }
    }
  }
  const std::vector<Eigen::Index> rows = {0, 1, 3, 4, 5};  // two runs
  EXPECT_EQ(counts.InRows(0, rows), 3);
  EXPECT_EQ(ValidCounts::Count(ValidCounts(), v, 0, rows), 3);  // the scanning fallback
  EXPECT_EQ(counts.InRows(1, rows), 3);
}

}  // namespace
}  // namespace trend
