// A table of periodic returns: one row per date, one column per series, NaN where missing.
// Column-major storage keeps each series contiguous, so metrics read a column without copying.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/date.hpp"

namespace trend {

struct ReturnsFrame {
  std::vector<Date> dates;           // ascending, unique
  std::vector<std::string> columns;  // series names, in file order
  Eigen::MatrixXd values;            // dates.size() x columns.size()

  std::size_t rows() const { return dates.size(); }
  std::size_t cols() const { return columns.size(); }
  std::optional<std::size_t> FindColumn(std::string_view name) const;

  // Keeps the given columns (by index), in the given order.
  ReturnsFrame SelectColumns(const std::vector<std::size_t>& keep) const;
  // Keeps rows whose flag is true.
  ReturnsFrame SelectRows(const std::vector<bool>& keep) const;
};

enum class Frequency { kDaily, kWeekly, kMonthly, kQuarterly, kYearly };

char FrequencyCode(Frequency f);               // D, W, M, Q, Y
std::string_view FrequencyLabel(Frequency f);  // Daily, Weekly, ...

}  // namespace trend
