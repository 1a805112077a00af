// Every single-period golden case (tests/golden, copied from the reference runs) checked field
// by field as its manifest says: relative 1e-9, absolute 1e-12. Difference cases compare the
// fields D1-D6 leave alone against the reference, and the rest against
// expected_trend_engine.json.
#include <gtest/gtest.h>

#include "../golden_case.hpp"
#include "../golden_compare.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/json_report.hpp"

namespace trend {
namespace {

using nlohmann::json;

using namespace golden;

class GoldenSinglePeriod : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenSinglePeriod, MatchesManifestFields) {
  const std::string name = GetParam();
  const std::string dir = std::string(TREND_GOLDEN_DIR) + "/cases/" + name;
  const json spec = CaseSpec(name);
  GoldenInputs inputs = LoadGoldenInputs(dir);
  const AnalysisResult result =
      AnalyseReturns(std::move(inputs.returns), inputs.config.settings, "returns.csv");
  const json ours = AnalysisToJson(result);

  auto check = [&](const json& expected_root, const json& fields, const std::string& label) {
    std::vector<std::string> errors;
    for (const auto& field : fields) {
      std::string path = field.get<std::string>();
      const std::string prefix = "single_period.";
      if (path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
      CompareField(ours, expected_root["single_period"], path, path, errors);
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

TEST(GoldenSinglePeriodManifest, ListsCases) {
  EXPECT_FALSE(CasesOfKind("single").empty());
}

// Error cases (manifest "expected_error"): the reference raised, so Trend Engine must stop with
// an InputError (exit 2 on the command line) and produce no result.
class GoldenErrorCase : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenErrorCase, StopsWithAnInputError) {
  const std::string name = GetParam();
  const std::string dir = std::string(TREND_GOLDEN_DIR) + "/cases/" + name;
  const json spec = CaseSpec(name);
  EXPECT_FALSE(std::ifstream(dir + "/expected.json").good()) << "an error case has no numbers";
  try {
    GoldenInputs inputs = LoadGoldenInputs(dir);
    if (spec["kind"] == "multi") {
      (void)AnalyseMultiPeriod(std::move(inputs.returns), inputs.config.settings, "returns.csv", {},
                               {}, inputs.MembershipOrNull());
    } else {
      (void)AnalyseReturns(std::move(inputs.returns), inputs.config.settings, "returns.csv");
    }
    ADD_FAILURE() << name << ": ran to a result; the reference raised "
                  << spec["expected_error"]["message"];
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

TEST(GoldenErrorCaseManifest, ListsCases) {
  EXPECT_FALSE(ErrorCases().empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenErrorCase, ::testing::ValuesIn(ErrorCases()),
                         [](const auto& param_info) { return param_info.param; });

INSTANTIATE_TEST_SUITE_P(Cases, GoldenSinglePeriod, ::testing::ValuesIn(CasesOfKind("single")),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace trend
