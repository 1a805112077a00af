// Shared by the golden tests: a case's config and returns, loaded as `trend run` loads them.
#pragma once

#include <string>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"

namespace trend::golden {

struct GoldenInputs {
  LoadedConfig config;
  ReturnsFrame returns;
};

inline GoldenInputs LoadGoldenInputs(const std::string& case_dir) {
  GoldenInputs inputs{LoadConfigFile(case_dir + "/config.yml"), {}};
  CsvOptions csv;
  csv.date_column = inputs.config.settings.data.date_column;
  inputs.returns = LoadReturnsCsv(inputs.config.settings.data.csv_path, csv);
  return inputs;
}

}  // namespace trend::golden
