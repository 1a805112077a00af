// Reference-shaped synthetic inputs for the benchmarks: fund returns with a common market
// factor, fat-ish tails, late starts, closures and holes, written as the reference's CSV.
#pragma once

#include <string>

namespace trend::bench {

struct PanelShape {
  int funds = 500;
  int periods = 360;   // months, or days when daily
  bool daily = false;  // calendar-daily rows
  int start_year = 1995;
  unsigned seed = 7;
};

// CSV text: Date, F001..Fnnn, MKT, RF.
std::string MakeReturnsCsv(const PanelShape& shape);

// Config for the end-to-end case: rank top 50 by Sharpe, HRP, explicit RF, MKT as index.
std::string MakeRankHrpConfig(const std::string& csv_path, int first_year, int split_year,
                              int last_year);

}  // namespace trend::bench
