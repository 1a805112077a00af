// Universe membership (data.universe_membership_path): dated windows in which each column is
// part of the investable universe. Multi-period runs blank a column's returns outside its
// windows (spec §9.2), so a fund that joins late or leaves early is judged period by period.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/date.hpp"
#include "data/returns_frame.hpp"

namespace trend {

struct MembershipWindow {
  Date start;               // effective_date, inclusive
  std::optional<Date> end;  // end_date, inclusive; none = open-ended
};

// Column name -> its windows, in file order.
using Membership = std::map<std::string, std::vector<MembershipWindow>>;

// Reads a CSV with a `fund` (or `symbol`) column, `effective_date` and an optional `end_date`
// (dates as YYYY-MM-DD, a time and offset after them are ignored). One row per window.
// Throws InputError naming the file and line.
Membership LoadMembership(const std::string& path);

// Sets every value of `frame` outside its column's windows to NaN (row dates compared with the
// window bounds, both inclusive). A column with no window is an InputError naming it and
// `source`, as the reference raises.
void ApplyMembership(ReturnsFrame& frame, const Membership& membership, std::string_view source);

}  // namespace trend
