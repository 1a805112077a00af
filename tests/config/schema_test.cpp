// The schema table is the single source of truth: these tests check that what it says holds
// (defaults, bounds, unknown keys at every depth, no-effect warnings, fallbacks) and that what
// is derived from it (docs/config.md, config/defaults.yml, the JSON Schema, the shipped
// configs) agrees with it.
#include "config/schema.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/config_loader.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseConfig(yaml, "config.yml", "");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::vector<std::string> WarningsOf(const std::string& yaml,
                                    RunMode mode = RunMode::kSinglePeriod) {
  return ConfigWarnings(ParseConfig(yaml, "config.yml", ""), mode);
}

// YAML that sets the dotted `path` to `value`.
std::string Nested(const std::string& path, const std::string& value) {
  std::string yaml, indent;
  std::size_t start = 0;
  for (std::size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
    yaml += indent + path.substr(start, dot - start) + ":\n";
    indent += "  ";
  }
  return yaml + indent + path.substr(start) + ": " + value + "\n";
}

TEST(Schema, PathsAreUniqueAndParentsComeFirst) {
  std::set<std::string> seen;
  for (const auto& spec : ConfigSchema()) {
    const std::string path(spec.path);
    EXPECT_TRUE(seen.insert(path).second) << path << " is listed twice";
    const std::size_t dot = path.rfind('.');
    if (dot != std::string::npos) {
      EXPECT_TRUE(seen.count(path.substr(0, dot))) << path << " comes before its section";
    }
    EXPECT_FALSE(spec.help.empty()) << path;
    EXPECT_TRUE(spec.inert || spec.type == KeyType::kSection || spec.apply ||
                path.rfind("output.", 0) == 0)
        << path << " is parsed into nothing";
    if (spec.type == KeyType::kChoice) {
      EXPECT_FALSE(spec.choices.empty()) << path;
    }
    if (spec.sweepable) {
      EXPECT_NE(spec.apply, nullptr) << path;
    }
  }
}

// The default a row documents is what the engine uses when the key is absent: setting the key
// to that default changes nothing.
TEST(Schema, DocumentedDefaultsAreTheEngineDefaults) {
  int checked = 0;
  for (const auto& spec : ConfigSchema()) {
    const std::string def(spec.default_text);
    if (spec.inert || spec.type == KeyType::kSection || def.empty() || def[0] == '(' ||
        def == "null" || spec.path.rfind("output.", 0) == 0)
      continue;
    const std::string path(spec.path);
    // A multi_period key creates the section, so compare with an empty section.
    const std::string base = path.rfind("multi_period.", 0) == 0 ? "multi_period: {}\n" : "{}\n";
    AnalysisSettings expected = ParseConfig(base, "base.yml", "").settings;
    AnalysisSettings with_default = ParseConfig(Nested(path, def), "config.yml", "").settings;
    // Giving the missing-data keys records that they were given (§9.2 reads that).
    with_default.data.missing_policy_set = expected.data.missing_policy_set;
    with_default.data.missing_limit_set = expected.data.missing_limit_set;
    EXPECT_TRUE(with_default == expected) << path << ": " << def << " is not the default";
    ++checked;
  }
  EXPECT_GT(checked, 60);
}

TEST(Schema, UnknownKeysAtEveryDepthSuggestTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"multi_period.in_sample_length", "multi_period.in_sample_len"},
      {"export.formts", "export.formats"},
      {"run.monthly_costs", "run.monthly_cost"},
      {"portfolio.threshold_hold.z_exit_sof", "portfolio.threshold_hold.z_exit_soft"},
      {"portfolio.weighting.nme", "portfolio.weighting.name"},
      {"portfolio.selector.parms", "portfolio.selector.params"},
      {"vol_adjust.window.lenght", "vol_adjust.window.length"},
      {"portfolio.rank_n", ""},
  };
  for (const auto& [typo, suggestion] : cases) {
    const auto warnings = WarningsOf(Nested(typo, "5"));
    ASSERT_FALSE(warnings.empty()) << typo;
    const std::string expected = "unknown key '" + typo + "' (ignored)" +
                                 (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?");
    EXPECT_NE(warnings[0].find(expected), std::string::npos) << warnings[0];
  }
  // A key in the wrong section is found by its name.
  EXPECT_NE(WarningsOf("vol_adjust: {n: 3}\nportfolio: {target_vol: 0.1}\n")[1].find(
                "did you mean 'vol_adjust.target_vol'?"),
            std::string::npos);
}

TEST(Schema, BadValuesAreLocatedErrors) {
  EXPECT_EQ(ErrorOf("sample_split:\n  ratio: lots\n"),
            "config.yml line 2: sample_split.ratio = 'lots': expected a number");
  EXPECT_EQ(ErrorOf("portfolio: {rank: {score_by: sharp}}\n"),
            "config.yml line 1: portfolio.rank.score_by = 'sharp': expected one of AnnualReturn, "
            "Volatility, Sharpe, Sortino, MaxDrawdown, InformationRatio, AvgCorr, blended (did "
            "you mean 'Sharpe'?)");
  EXPECT_EQ(ErrorOf("multi_period: {frequency: fortnightly}\n"),
            "config.yml line 1: multi_period.frequency = 'fortnightly': expected one of M, Q, A");
  EXPECT_EQ(ErrorOf("multi_period: {in_sample_len: 1000000000}\n"),
            "config.yml line 1: multi_period.in_sample_len = '1000000000': expected a value in "
            "[1, 1200]");
  EXPECT_EQ(ErrorOf("multi_period: {in_sample_len: 200}\n"),
            "config.yml line 1: multi_period.in_sample_len = 200: 2400 months is more than 100 "
            "years; expected at most 100 (A)");
  EXPECT_EQ(ErrorOf("multi_period: {start: '0005-01'}\n"),
            "config.yml line 1: multi_period.start = '0005-01': expected a month YYYY-MM (years "
            "1000-9999)");
  EXPECT_EQ(ErrorOf("multi_period: {start: '-5'}\n"),
            "config.yml line 1: multi_period.start = '-5': expected a month YYYY-MM (years "
            "1000-9999)");
  EXPECT_EQ(ErrorOf("portfolio: {rank: {n: 2.5}}\n"),
            "config.yml line 1: portfolio.rank.n = '2.5': expected a whole number");
  EXPECT_EQ(ErrorOf("metrics: {registry: [sharpe_ratio, calmar]}\n"),
            "config.yml line 1: metrics.registry[1] = 'calmar': unknown metric; expected one of "
            "AnnualReturn, Volatility, Sharpe, Sortino, MaxDrawdown, InformationRatio, AvgCorr");
}

TEST(Schema, EnumsAcceptTheirSpellingsInAnyCase) {
  const LoadedConfig c = ParseConfig(
      "portfolio: {policy: THRESHOLD_HOLD, rank: {score_by: sharpe_ratio, "
      "inclusion_approach: TOP_PCT}}\nmulti_period: {frequency: quarterly}\n"
      "metrics: {registry: [Sharpe, avg_corr]}\n",
      "config.yml", "");
  const AnalysisSettings& s = c.settings;
  // The reference compares portfolio.policy exactly and runs the default path otherwise: so do
  // we, with a warning that suggests the spelling.
  EXPECT_EQ(s.portfolio.policy, PortfolioPolicy::kDefault);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "config.yml line 1: portfolio.policy = 'THRESHOLD_HOLD' is not one of default, "
            "threshold_hold; default is used instead, as the reference does (did you mean "
            "'threshold_hold'?)");
  EXPECT_EQ(s.portfolio.rank.score_by, Metric::kSharpe);
  EXPECT_EQ(s.portfolio.rank.inclusion_approach, RankInclusion::kTopPct);
  EXPECT_EQ(s.multi_period->frequency, PeriodFrequency::kQuarterly);
  EXPECT_EQ(s.metrics, (std::vector<Metric>{Metric::kSharpe, Metric::kAvgCorr}));
}

TEST(Schema, KeysWithNoEffectNameTheKeyThatSwitchesThemOff) {
  EXPECT_EQ(WarningsOf("vol_adjust:\n  enabled: false\n  target_vol: 0.2\n"),
            (std::vector<std::string>{"config.yml line 3: vol_adjust.target_vol has no effect: "
                                      "it needs vol_adjust.enabled: true"}));
  EXPECT_EQ(
      WarningsOf("portfolio:\n  custom_weights: {A: 50, B: 50}\n  weighting_scheme: hrp\n"),
      (std::vector<std::string>{"config.yml line 3: portfolio.weighting_scheme has no effect: it "
                                "needs portfolio.custom_weights: unset"}));
  EXPECT_EQ(WarningsOf("portfolio:\n  selection_mode: all\n  rank: {n: 3}\n"),
            (std::vector<std::string>{"config.yml line 3: portfolio.rank.n has no effect: it "
                                      "needs portfolio.rank.inclusion_approach: top_n"}));
  // Threshold-hold keys in a multi-period run on the default path.
  EXPECT_EQ(WarningsOf("portfolio:\n  threshold_hold: {z_exit_soft: -2}\nmulti_period: {}\n",
                       RunMode::kMultiPeriod),
            (std::vector<std::string>{"config.yml line 2: portfolio.threshold_hold.z_exit_soft "
                                      "has no effect: it needs portfolio.policy: threshold_hold"}));
  // Inert keys of the reference, and an alias given beside its main name.
  EXPECT_EQ(WarningsOf("run: {log_level: INFO}\n"),
            (std::vector<std::string>{
                "config.yml line 1: run.log_level has no effect: The reference's logging."}));
  EXPECT_EQ(WarningsOf("vol_adjust: {window: {decay: ewma, lambda: 0.9, ewma_lambda: 0.8}}\n"),
            (std::vector<std::string>{"config.yml line 1: vol_adjust.window.ewma_lambda has no "
                                      "effect: vol_adjust.window.lambda is also set and is used"}));
}

// Where the reference substitutes a value, we do the same and say so.
TEST(Schema, ReferenceFallbacksAreWarnings) {
  const LoadedConfig c = ParseConfig(
      "portfolio:\n  policy: threshold_hold\n  weighting: {name: score_prop}\n"
      "  threshold_hold: {metric: AnnualReturn}\n",
      "config.yml", "");
  EXPECT_EQ(c.settings.portfolio.weighting.name, HoldingsWeighting::kEqual);
  EXPECT_EQ(c.settings.portfolio.threshold_hold.metric, HoldColumn::kSharpe);
  EXPECT_EQ(c.warnings,
            (std::vector<std::string>{
                "config.yml line 3: portfolio.weighting.name = 'score_prop' is not one of equal, "
                "score_prop_bayes, adaptive_bayes; equal is used instead, as the reference does",
                "config.yml line 4: portfolio.threshold_hold.metric = 'AnnualReturn' is not one "
                "of CAGR, Volatility, Sharpe, Sortino, InformationRatio, MaxDrawdown; Sharpe is "
                "used instead, as the reference does"}));
}

// PyYAML keeps the last of two equal keys; yaml-cpp's lookup finds the first. We keep the last
// and say so.
TEST(Schema, DuplicateKeysTakeTheLastValueWithAWarning) {
  const LoadedConfig c = ParseConfig(
      "vol_adjust:\n  target_vol: 0.1\n  target_vol: 0.2\nportfolio: {random_n: 3}\n"
      "portfolio: {random_n: 5}\n",
      "config.yml", "");
  EXPECT_EQ(c.settings.vol_adjust.target_vol, 0.2);
  EXPECT_EQ(c.settings.portfolio.random_n, 5);
  EXPECT_EQ(c.warnings, (std::vector<std::string>{
                            "config.yml line 2: vol_adjust.target_vol is given again on line 3; "
                            "the last value is used, as PyYAML does",
                            "config.yml line 4: portfolio is given again on line 5; the last "
                            "value is used, as PyYAML does"}));
}

// Names reach JSON documents, which must be UTF-8: bytes that are not are refused at the edge.
TEST(Schema, NamesMustBeUtf8) {
  EXPECT_EQ(ErrorOf("data: {risk_free_column: \"T\xe9\"}\n"),
            "config.yml line 1: data.risk_free_column: the value is not valid UTF-8");
  EXPECT_EQ(ErrorOf("portfolio: {custom_weights: {\"Caf\xe9\": 50}}\n"),
            "config.yml line 1: a key under 'portfolio.custom_weights' is not a valid UTF-8 name");
  EXPECT_EQ(ErrorOf("portfolio: {custom_weights: {\"Caf\xc3\xa9\": 50}}\n"), "no error");
}

TEST(Schema, OverlappingWindowsAreALookAheadWarning) {
  const auto warnings = WarningsOf(
      "sample_split: {in_start: 2015-01, in_end: 2022-12, out_start: 2022-06, out_end: "
      "2024-12}\n");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "config.yml line 1: sample_split.out_start (2022-06-01) is not after "
            "sample_split.in_end (2022-12-31, config.yml line 1): the out-of-sample window "
            "overlaps the in-sample one (look-ahead)");
}

// Whether the dotted key is in the tree (a null value, "no default", counts).
bool Listed(const YAML::Node& node, const std::string& key) {
  const std::size_t dot = key.find('.');
  const std::string head = key.substr(0, dot);
  if (!node.IsMap() || !node[head]) return false;
  return dot == std::string::npos || Listed(node[head], key.substr(dot + 1));
}

// config/defaults.yml lists every key that has an effect, and nothing the schema lacks.
TEST(Schema, DefaultsFileCoversTheSchema) {
  const std::string path = std::string(TREND_SOURCE_DIR) + "/config/defaults.yml";
  const LoadedConfig defaults = LoadConfigFile(path);
  for (const auto& w : defaults.warnings) {
    EXPECT_EQ(w.find("unknown key"), std::string::npos) << w;
  }
  const YAML::Node root = YAML::LoadFile(path);
  for (const auto& spec : ConfigSchema()) {
    if (spec.inert || spec.type == KeyType::kSection || !spec.alias_of.empty()) continue;
    const std::string key(spec.path);
    EXPECT_TRUE(Listed(root, key)) << key << " is missing from config/defaults.yml";
  }
}

TEST(Schema, DocsAreUpToDate) {
  EXPECT_EQ(ReadFile(std::string(TREND_SOURCE_DIR) + "/docs/config.md"), ConfigMarkdown())
      << "run: build/release/src/cli/trend config docs > docs/config.md";
}

TEST(Schema, JsonSchemaDescribesEveryKey) {
  const nlohmann::json schema = nlohmann::json::parse(ConfigJsonSchema());
  EXPECT_EQ(schema["additionalProperties"], false);
  for (const auto& spec : ConfigSchema()) {
    const nlohmann::json* node = &schema;
    std::string path(spec.path);
    for (std::size_t start = 0;;) {
      const std::size_t dot = path.find('.', start);
      node = &(*node)["properties"][path.substr(start, dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    EXPECT_TRUE(node->contains("description")) << path;
  }
  const auto& n = schema["properties"]["portfolio"]["properties"]["rank"]["properties"]["n"];
  EXPECT_EQ(n["minimum"], 1);
  EXPECT_EQ(n["x-sweepable"], true);
}

// Every config we ship runs without a warning, in both modes where it has a schedule.
TEST(Schema, ShippedConfigsAreStrictClean) {
  for (const char* file : {"config/demo.yml", "config/sweeps/demo_sweep.yml"}) {
    const LoadedConfig c = LoadConfigFile(std::string(TREND_SOURCE_DIR) + "/" + file);
    EXPECT_EQ(ConfigWarnings(c, RunMode::kSinglePeriod), std::vector<std::string>{}) << file;
    EXPECT_EQ(ConfigWarnings(c, RunMode::kMultiPeriod), std::vector<std::string>{}) << file;
  }
}

}  // namespace
}  // namespace trend
