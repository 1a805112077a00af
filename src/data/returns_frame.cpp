#include "data/returns_frame.hpp"

namespace trend {

std::optional<std::size_t> ReturnsFrame::FindColumn(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return std::nullopt;
}

ReturnsFrame ReturnsFrame::SelectColumns(const std::vector<std::size_t>& keep) const {
  ReturnsFrame out;
  out.dates = dates;
  out.values.resize(values.rows(), static_cast<Eigen::Index>(keep.size()));
  for (std::size_t j = 0; j < keep.size(); ++j) {
    out.columns.push_back(columns[keep[j]]);
    out.values.col(static_cast<Eigen::Index>(j)) = values.col(static_cast<Eigen::Index>(keep[j]));
  }
  return out;
}

ReturnsFrame ReturnsFrame::SelectRows(const std::vector<bool>& keep) const {
  ReturnsFrame out;
  out.columns = columns;
  Eigen::Index n = 0;
  for (bool k : keep) n += k ? 1 : 0;
  out.values.resize(n, values.cols());
  Eigen::Index r = 0;
  for (std::size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    out.dates.push_back(dates[i]);
    out.values.row(r++) = values.row(static_cast<Eigen::Index>(i));
  }
  return out;
}

char FrequencyCode(Frequency f) {
  switch (f) {
    case Frequency::kDaily:
      return 'D';
    case Frequency::kWeekly:
      return 'W';
    case Frequency::kMonthly:
      return 'M';
    case Frequency::kQuarterly:
      return 'Q';
    case Frequency::kYearly:
      return 'Y';
  }
  return 'M';
}

std::string_view FrequencyLabel(Frequency f) {
  switch (f) {
    case Frequency::kDaily:
      return "Daily";
    case Frequency::kWeekly:
      return "Weekly";
    case Frequency::kMonthly:
      return "Monthly";
    case Frequency::kQuarterly:
      return "Quarterly";
    case Frequency::kYearly:
      return "Annual";
  }
  return "Monthly";
}

}  // namespace trend
