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
  out.panel_report =
      ApplyPanelMissingPolicy(out.monthly, options.panel_policy, options.enforce_completeness);
  DropEmptyRows(out.monthly);
  if (out.monthly.rows() == 0 || out.monthly.cols() == 0) {
    throw InputError(fmt::format("{}: no data left after the missing-data policies", source));
  }
  return out;
}

}  // namespace trend
