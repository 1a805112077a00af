#include "data/prepare.hpp"

#include <fmt/format.h>

#include "data/resample.hpp"
#include "error/input_error.hpp"

namespace trend {

PreparedReturns PrepareReturns(ReturnsFrame raw, const PrepareOptions& options,
                               std::string_view source) {
  PreparedReturns out;
  out.raw_dates = raw.dates;
  out.load_report = ApplyLoadMissingPolicy(raw, options.load_policy, source);
  CheckLooksLikeReturns(raw, source);
  out.input_frequency = DetectFrequency(raw.dates, source);
  out.resampled = out.input_frequency != Frequency::kMonthly;
  out.monthly = ToMonthEnd(std::move(raw), out.input_frequency);
  if (options.membership) {
    if (options.run_level_policy) {
      out.panel_report = ApplyPanelMissingPolicy(out.monthly, *options.run_level_policy, true);
      DropEmptyRows(out.monthly);
    }
    ApplyMembership(out.monthly, *options.membership, source);
  }
  const MissingReport layer_b =
      ApplyPanelMissingPolicy(out.monthly, options.panel_policy, options.enforce_completeness);
  out.panel_report.dropped.insert(out.panel_report.dropped.end(), layer_b.dropped.begin(),
                                  layer_b.dropped.end());
  for (const auto& [column, n] : layer_b.filled) out.panel_report.filled[column] += n;
  out.panel_report.total_filled += layer_b.total_filled;
  DropEmptyRows(out.monthly);
  if (out.monthly.rows() == 0 || out.monthly.cols() == 0) {
    throw InputError(fmt::format("{}: no data left after the missing-data policies", source));
  }
  return out;
}

}  // namespace trend
