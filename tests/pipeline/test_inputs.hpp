// Small inline inputs shared by the pipeline tests.
#pragma once

#include <map>
#include <string>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "pipeline/analysis.hpp"

namespace trend::testing {

// Spec §12: three funds and a risk-free column over 2020.
inline const char* kSpecReturns =
    "Date,A,B,C,RF\n"
    "2020-01-31,0.02,0.005,0.05,0.001\n"
    "2020-02-29,0.01,0.007,-0.04,0.001\n"
    "2020-03-31,-0.015,0.002,0.06,0.001\n"
    "2020-04-30,0.03,-0.001,-0.02,0.0012\n"
    "2020-05-31,0.005,0.004,0.03,0.0012\n"
    "2020-06-30,0.012,0.006,-0.05,0.0012\n"
    "2020-07-31,-0.008,0.003,0.07,0.0015\n"
    "2020-08-31,0.018,0.002,0.01,0.0015\n"
    "2020-09-30,0.004,0.005,-0.03,0.0015\n"
    "2020-10-31,-0.01,0.001,0.04,0.0015\n"
    "2020-11-30,0.022,-0.002,0.02,0.0015\n"
    "2020-12-31,0.006,0.004,-0.01,0.0015\n";

// The spec §12 config; `overrides` replaces whole sections, e.g. {"portfolio", "{...}"}.
inline std::string SpecConfig(const std::map<std::string, std::string>& overrides = {}) {
  std::map<std::string, std::string> sections = {
      {"data", "{risk_free_column: RF}"},
      {"vol_adjust", "{target_vol: 0.10, floor_vol: 0.02}"},
      {"run", "{monthly_cost: 0.001}"},
      {"sample_split",
       "{in_start: 2020-01, in_end: 2020-08, out_start: 2020-09, out_end: 2020-12}"},
      {"portfolio", "{selection_mode: all}"}};
  for (const auto& [key, value] : overrides) sections[key] = value;
  std::string yaml;
  for (const auto& [key, value] : sections) yaml += key + ": " + value + "\n";
  return yaml;
}

// A selected fund's final weight, or -1 when it was not selected.
inline double WeightOf(const AnalysisResult& r, const std::string& fund) {
  for (std::size_t i = 0; i < r.selected_funds.size(); ++i) {
    if (r.selected_funds[i] == fund) return r.fund_weights[i];
  }
  return -1;
}

inline AnalysisResult Analyse(const std::string& csv, const std::string& yaml) {
  const LoadedConfig config = ParseConfig(yaml, "test.yml", "");
  return AnalyseReturns(ParseReturnsCsv(csv, "test.csv"), config.settings, "test.csv");
}

}  // namespace trend::testing
