// Shared by the golden tests: a case's config and returns, loaded as `trend run` loads them.
#pragma once

#include <string>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "data/membership.hpp"

#include <optional>

namespace trend::golden {

struct GoldenInputs {
  LoadedConfig config;
  ReturnsFrame returns;
  std::optional<Membership> membership;  // data.universe_membership_path, when set

  const Membership* MembershipOrNull() const { return membership ? &*membership : nullptr; }
};

inline GoldenInputs LoadGoldenInputs(const std::string& case_dir) {
  GoldenInputs inputs{LoadConfigFile(case_dir + "/config.yml"), {}, std::nullopt};
  CsvOptions csv;
  csv.date_column = inputs.config.settings.data.date_column;
  inputs.returns = LoadReturnsCsv(inputs.config.settings.data.csv_path, csv);
  if (const auto& path = inputs.config.settings.data.universe_membership_path)
    inputs.membership = LoadMembership(*path);
  return inputs;
}

}  // namespace trend::golden
