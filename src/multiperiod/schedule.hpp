// The walk-forward schedule of a multi-period backtest (spec §9.1): consecutive in-sample and
// out-of-sample windows at a monthly, quarterly or annual frequency, stepping by the
// out-of-sample length.
#pragma once

#include <string>
#include <vector>

#include "config/settings.hpp"

namespace trend {

// One period, as month indices (see MonthIndex); every bound is a whole month.
struct Period {
  int in_start = 0, in_end = 0, out_start = 0, out_end = 0;
};

// Periods from `start` to `end` (month indices, snapped to the frequency's period boundaries);
// the last period is the last whose out-of-sample window ends by `end`. `first_month` and
// `last_month` (the data's span) stand in for a missing start or end.
std::vector<Period> GeneratePeriods(const MultiPeriodSettings& settings, int first_month,
                                    int last_month);

// The reference's period record: first and last days of the four bounds, ISO dates.
std::vector<std::string> PeriodDates(const Period& period);

}  // namespace trend
