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

// The rank/HRP config walked forward: annual 3y in / 1y out from first_year to last_year.
std::string MakeMultiPeriodConfig(const std::string& csv_path, int first_year, int last_year);

// Threshold-hold on quarters (8 in / 1 out): z-score strikes, score_prop_bayes, weight bounds,
// lambda_tc, a turnover cap and 10 bp costs.
std::string MakeThresholdHoldConfig(const std::string& csv_path, int first_year, int last_year);

}  // namespace trend::bench
