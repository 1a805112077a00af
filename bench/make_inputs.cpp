// Writes the benchmark inputs: bench_500x360.csv/.yml (monthly, 500 funds x 30 years) and
// bench_daily_200x10y.csv/.yml (200 funds, calendar-daily, 10 years) into DIR.
#include <fmt/format.h>

#include <fstream>
#include <string>

#include "bench_inputs.hpp"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  using trend::bench::PanelShape;
  write("bench_500x360.csv", trend::bench::MakeReturnsCsv(PanelShape{500, 360, false, 1995, 7}));
  write("bench_500x360.yml",
        trend::bench::MakeRankHrpConfig("bench_500x360.csv", 1995, 2020, 2024));
  write("bench_multi_500x360.yml",
        trend::bench::MakeMultiPeriodConfig("bench_500x360.csv", 1995, 2024));
  write("bench_threshold_500x360.yml",
        trend::bench::MakeThresholdHoldConfig("bench_500x360.csv", 1995, 2023));
  write("bench_daily_200x10y.csv",
        trend::bench::MakeReturnsCsv(PanelShape{200, 3653, true, 2014, 11}));
  write("bench_daily_200x10y.yml",
        trend::bench::MakeRankHrpConfig("bench_daily_200x10y.csv", 2014, 2021, 2023));
  return 0;
}
