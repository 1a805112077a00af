// A multi-period result as JSON: "periods" entries with the golden periods[] field names
// (each one the single-period object plus period, turnover, transaction_cost and
// manager_changes), the combined "summary", and the execution table, manager contributions
// and equity curve. NaN is written as null.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "multiperiod/multi_period.hpp"

namespace trend {

nlohmann::json MultiPeriodToJson(const MultiPeriodResult& result);

}  // namespace trend
