// From a loaded returns file to the month-end panel the analysis runs on: load-time missing
// policy, returns check, cadence detection, month-end conversion, preprocessing missing policy.
#pragma once

#include <optional>
#include <string_view>

#include "data/membership.hpp"
#include "data/missing_policy.hpp"
#include "data/returns_frame.hpp"
#include "data/valid_counts.hpp"

namespace trend {

struct PreparedReturns {
  ReturnsFrame monthly;  // calendar month-end rows
  Frequency input_frequency = Frequency::kMonthly;
  bool resampled = false;       // input was not monthly and was compounded to months
  std::vector<Date> raw_dates;  // dates of the loaded file (for the derived sample split)
  MissingReport load_report;
  MissingReport panel_report;
  // Non-missing counts of `monthly` for repeated window checks; built by callers that run many
  // windows (the multi-period engine). Empty means "scan the cells".
  ValidCounts valid;
};

struct PrepareOptions {
  MissingPolicy load_policy;   // data.missing_policy / missing_limit
  MissingPolicy panel_policy;  // preprocessing.missing_data
  // The reference stops removing incomplete columns at this layer when the risk-free fallback
  // is on (spec §1.3); the window eligibility rule still applies later.
  bool enforce_completeness = true;
  // Multi-period runs with universe membership: the run-level policy the reference applies to
  // the whole history (completeness enforced) before the membership windows blank values, and
  // then the windows themselves; layer B (panel_policy) runs after both.
  std::optional<MissingPolicy> run_level_policy;
  const Membership* membership = nullptr;
};

PreparedReturns PrepareReturns(ReturnsFrame raw, const PrepareOptions& options,
                               std::string_view source);

}  // namespace trend
