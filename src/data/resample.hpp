// Cadence detection and conversion of any input cadence to calendar month-end rows
// (spec §1.2 P3-P4, with D4: every daily row, weekends and holidays included, is compounded).
#pragma once

#include <string_view>
#include <vector>

#include "data/returns_frame.hpp"

namespace trend {

// Classifies the gaps between consecutive dates (D 0-4 days, W 4.5-9, M 9-45, Q 45-120, Y >120)
// and picks the most common bucket. Throws InputError naming `source` when the dates are too
// irregular to classify.
Frequency DetectFrequency(const std::vector<Date>& dates, std::string_view source);

// Monthly input keeps the last non-missing value of each column within a month; any other
// cadence is compounded: prod(1 + r) - 1 over the month's non-missing values (NaN if none).
// Rows are labelled with the calendar month-end; all-NaN rows are removed.
ReturnsFrame ToMonthEnd(ReturnsFrame frame, Frequency input_frequency);

// Removes rows that are NaN in every column.
void DropEmptyRows(ReturnsFrame& frame);

// The reference accepts returns only (it never converts prices). A column that looks like a
// price series (non-negative with median |x| >= 10 or max |x| >= 20) is an InputError.
void CheckLooksLikeReturns(const ReturnsFrame& frame, std::string_view source);

}  // namespace trend
