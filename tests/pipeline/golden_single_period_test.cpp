// Every single-period golden case (tests/golden, copied from the reference runs) checked field
// by field as its manifest says: relative 1e-9, absolute 1e-12. Difference cases compare the
// fields D1-D6 leave alone against the reference, and the rest against
// expected_trend_engine.json.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "pipeline/analysis.hpp"
#include "report/json_report.hpp"

namespace trend {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

const json& Manifest() {
  static const json kManifest = ReadJson(std::string(TREND_GOLDEN_DIR) + "/manifest.json");
  return kManifest;
}

std::vector<std::string> SinglePeriodCases() {
  std::vector<std::string> names;
  for (const auto& c : Manifest()["cases"]) {
    if (c["kind"] == "single") names.push_back(c["name"]);
  }
  return names;
}

bool IsNullish(const json& v) {
  return v.is_null() || (v.is_number_float() && std::isnan(v.get<double>()));
}

// Compares `ours` with `expected` under the golden rules; appends differences to `errors`.
void Compare(const json& ours, const json& expected, const std::string& path,
             std::vector<std::string>& errors) {
  if (IsNullish(expected) && IsNullish(ours)) return;
  if (expected.is_object() || ours.is_object()) {
    const json empty = json::object();
    const json& a = ours.is_object() ? ours : empty;
    const json& b = expected.is_object() ? expected : empty;
    for (auto it = b.begin(); it != b.end(); ++it) {
      Compare(a.contains(it.key()) ? a[it.key()] : json(nullptr), it.value(), path + "." + it.key(),
              errors);
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) Compare(it.value(), json(nullptr), path + "." + it.key(), errors);
    }
    return;
  }
  if (expected.is_array() && ours.is_array()) {
    if (expected.size() != ours.size()) {
      errors.push_back(path + ": length " + std::to_string(ours.size()) + " vs " +
                       std::to_string(expected.size()));
      return;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      Compare(ours[i], expected[i], path + "[" + std::to_string(i) + "]", errors);
    }
    return;
  }
  if (expected.is_number() && ours.is_number() && !expected.is_boolean()) {
    const double e = expected.get<double>();
    const double o = ours.get<double>();
    if (!(std::abs(o - e) <= std::max(1e-12, 1e-9 * std::abs(e)))) {
      errors.push_back(path + ": " + ours.dump() + " vs expected " + expected.dump());
    }
    return;
  }
  if (ours != expected)
    errors.push_back(path + ": " + ours.dump() + " vs expected " + expected.dump());
}

json At(const json& root, const std::string& dotted) {
  const json* node = &root;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string key =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *node;
}

class GoldenSinglePeriod : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenSinglePeriod, MatchesManifestFields) {
  const std::string name = GetParam();
  const std::string dir = std::string(TREND_GOLDEN_DIR) + "/cases/" + name;
  json spec;
  for (const auto& c : Manifest()["cases"]) {
    if (c["name"] == name) spec = c;
  }
  const LoadedConfig config = LoadConfigFile(dir + "/config.yml");
  CsvOptions csv;
  csv.date_column = config.settings.data.date_column;
  const AnalysisResult result = AnalyseReturns(LoadReturnsCsv(config.settings.data.csv_path, csv),
                                               config.settings, "returns.csv");
  const json ours = AnalysisToJson(result);

  auto check = [&](const json& expected_root, const json& fields, const std::string& label) {
    std::vector<std::string> errors;
    for (const auto& field : fields) {
      std::string path = field.get<std::string>();
      const std::string prefix = "single_period.";
      if (path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
      Compare(At(ours, path), At(expected_root["single_period"], path), path, errors);
    }
    for (std::size_t i = 0; i < errors.size() && i < 20; ++i)
      ADD_FAILURE() << label << " " << errors[i];
    EXPECT_TRUE(errors.empty()) << errors.size() << " mismatches against " << label;
  };
  check(ReadJson(dir + "/expected.json"), spec["compare"], "expected.json");
  if (spec.contains("te_expected")) {
    const json& te = spec["te_expected"];
    check(ReadJson(dir + "/" + te["file"].get<std::string>()), te["compare"],
          te["file"].get<std::string>());
  } else {
    EXPECT_TRUE(spec["parity"].get<bool>())
        << "a difference case without expected_trend_engine.json";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenSinglePeriod, ::testing::ValuesIn(SinglePeriodCases()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace trend
