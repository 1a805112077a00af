// Every multi-period golden case checked as its manifest says: "periods.X" fields period by
// period, "periods.manager_changes[a,b]" on the listed keys of each change, "summary.X" once.
// Difference cases (D5 and others) check the remaining fields against
// expected_trend_engine.json where the case has one.
#include <gtest/gtest.h>

#include "../golden_case.hpp"
#include "../golden_compare.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "multiperiod/multi_period.hpp"
#include "report/multi_period_json.hpp"

namespace trend {
namespace {

using namespace golden;

// "manager_changes[action,manager]" -> the field and the keys to keep.
std::pair<std::string, std::vector<std::string>> SplitProjection(const std::string& field) {
  const std::size_t open = field.find('[');
  if (open == std::string::npos) return {field, {}};
  std::vector<std::string> keys;
  std::string inner = field.substr(open + 1, field.size() - open - 2);
  for (std::size_t start = 0; start <= inner.size();) {
    const std::size_t comma = inner.find(',', start);
    keys.push_back(
        inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {field.substr(0, open), keys};
}

json Project(const json& value, const std::vector<std::string>& keys) {
  if (keys.empty() || !value.is_array()) return value;
  json out = json::array();
  for (const auto& item : value) {
    json kept = json::object();
    for (const auto& k : keys) kept[k] = item.contains(k) ? item[k] : json(nullptr);
    out.push_back(kept);
  }
  return out;
}

void CheckFields(const json& ours, const json& expected, const json& fields,
                 const std::string& label) {
  std::vector<std::string> errors;
  const json& our_periods = ours["periods"];
  const json& their_periods = expected["periods"];
  if (our_periods.size() != their_periods.size()) {
    ADD_FAILURE() << label << ": " << our_periods.size() << " periods vs " << their_periods.size();
    return;
  }
  for (const auto& field : fields) {
    const std::string path = field.get<std::string>();
    if (path.rfind("periods.", 0) == 0) {
      const auto [inner, keys] = SplitProjection(path.substr(8));
      for (std::size_t i = 0; i < their_periods.size(); ++i) {
        const std::string where = "periods[" + std::to_string(i) + "]." + inner;
        const json* a = Find(our_periods[i], inner);
        const json* b = Find(their_periods[i], inner);
        if (a == nullptr && b == nullptr) {
          errors.push_back(where + ": missing on both sides");
          continue;
        }
        Compare(Project(a ? *a : json(nullptr), keys), Project(b ? *b : json(nullptr), keys), where,
                errors);
      }
    } else {
      CompareField(ours, expected, path, path, errors);
    }
  }
  // The tables a multi-period run adds beside the periods, wherever the expected file has them.
  for (const char* table : {"execution", "manager_contribution", "equity_curve"}) {
    if (expected.contains(table)) CompareField(ours, expected, table, table, errors);
  }
  for (std::size_t i = 0; i < errors.size() && i < 20; ++i)
    ADD_FAILURE() << label << " " << errors[i];
  EXPECT_TRUE(errors.empty()) << errors.size() << " mismatches against " << label;
}

class GoldenMultiPeriod : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenMultiPeriod, MatchesManifestFields) {
  const std::string name = GetParam();
  const std::string dir = std::string(TREND_GOLDEN_DIR) + "/cases/" + name;
  const json spec = CaseSpec(name);
  GoldenInputs inputs = LoadGoldenInputs(dir);
  const MultiPeriodResult result =
      AnalyseMultiPeriod(std::move(inputs.returns), inputs.config.settings, "returns.csv", {}, {},
                         inputs.MembershipOrNull());
  const json ours = MultiPeriodToJson(result);
  CheckFields(ours, ReadJson(dir + "/expected.json"), spec["compare"], "expected.json");
  if (spec.contains("te_expected")) {
    const json& te = spec["te_expected"];
    CheckFields(ours, ReadJson(dir + "/" + te["file"].get<std::string>()), te["compare"],
                te["file"].get<std::string>());
  }
}

TEST(GoldenMultiPeriodManifest, ListsCases) {
  EXPECT_FALSE(CasesOfKind("multi").empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenMultiPeriod, ::testing::ValuesIn(CasesOfKind("multi")),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace trend
