// Config parsing: the whole file is honoured (D6), unknown keys warn with their path, invalid
// values fail naming file, line, key, value and what was expected.
#include "config/config_loader.hpp"

#include <gtest/gtest.h>

#include "error/input_error.hpp"

namespace trend {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseConfig(yaml, "config.yml", "");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(D6, WholeConfigIsRead) {
  const LoadedConfig c = ParseConfig(
      "portfolio:\n"
      "  selection_mode: rank\n"
      "  rank: {inclusion_approach: top_n, n: 5, score_by: sharpe_ratio}\n"
      "  custom_weights: {Mgr_01: 60, Mgr_02: 40}\n"
      "  weighting_scheme: hrp\n"
      "  constraints: {max_weight: 0.3}\n"
      "  indices_list: [SPX]\n"
      "vol_adjust: {enabled: false, target_vol: 0.12, window: {length: 24, decay: ewma}}\n"
      "benchmarks: {spx: SPX}\nrun: {seed: 42}\nexport: {formats: [csv]}\nmulti_period: "
      "{frequency: A}\n",
      "config.yml", "");
  const auto& p = c.settings.portfolio;
  EXPECT_EQ(p.selection_mode, "rank");
  EXPECT_EQ(p.rank.n, 5);
  EXPECT_EQ(p.rank.score_by, Metric::kSharpe);
  ASSERT_TRUE(p.custom_weights.has_value());
  EXPECT_EQ(p.custom_weights->size(), 2u);
  EXPECT_EQ(p.weighting_scheme, "hrp");
  EXPECT_EQ(p.constraints.max_weight, 0.3);
  EXPECT_EQ(p.indices_list, (std::vector<std::string>{"SPX"}));
  EXPECT_FALSE(c.settings.vol_adjust.enabled);
  EXPECT_EQ(c.settings.vol_adjust.window_length, 24);
  EXPECT_EQ(c.settings.vol_adjust.decay, VolDecay::kEwma);
  // run.seed is the reference's own and has no effect: the one reading warning.
  EXPECT_EQ(c.warnings, (std::vector<std::string>{
                            "config.yml line 10: run.seed has no effect: Not the engine seed: the "
                            "top-level seed is."}));
}

TEST(Config, UnknownKeysWarnWithTheirPath) {
  const LoadedConfig c =
      ParseConfig("data:\n  colour: red\nportfolio:\n  rank:\n    nn: 3\n", "config.yml", "");
  EXPECT_EQ(c.warnings, (std::vector<std::string>{
                            "config.yml line 2: unknown key 'data.colour' (ignored)",
                            "config.yml line 5: unknown key 'portfolio.rank.nn' (ignored); did "
                            "you mean 'portfolio.rank.n'?"}));
}

TEST(Config, DefaultsWhenAbsent) {
  const LoadedConfig c = ParseConfig("version: '1'\n", "config.yml", "");
  EXPECT_EQ(c.settings.vol_adjust.target_vol, 1.0);
  EXPECT_EQ(c.settings.seed, 42u);
  EXPECT_EQ(c.settings.metrics.size(), 6u);
}

TEST(Config, CsvPathIsRelativeToTheConfigFile) {
  const LoadedConfig c =
      ParseConfig("data: {csv_path: ../demo/returns.csv}\n", "config/demo.yml", "config");
  EXPECT_EQ(c.settings.data.csv_path, "demo/returns.csv");
}

TEST(ConfigErrors, MalformedYaml) {
  EXPECT_EQ(ErrorOf("data:\n  csv_path: [unclosed\n"),
            "config.yml line 3, column 1: malformed YAML: end of sequence flow not found");
}

// Nesting is bounded before anything recurses on it: yaml-cpp stops at 500 levels.
TEST(ConfigErrors, DeepNesting) {
  const std::string deep = "data: " + std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_NE(ErrorOf(deep).find("malformed YAML: nested deeper than 500 levels"), std::string::npos)
      << ErrorOf(deep);
}

TEST(ConfigErrors, WrongTypeNumber) {
  EXPECT_EQ(ErrorOf("vol_adjust:\n  target_vol: high\n"),
            "config.yml line 2: vol_adjust.target_vol = 'high': expected a number");
}

TEST(ConfigErrors, WrongTypeBool) {
  EXPECT_EQ(ErrorOf("vol_adjust: {enabled: maybe}\n"),
            "config.yml line 1: vol_adjust.enabled = 'maybe': expected true or false");
}

TEST(ConfigErrors, WrongTypeList) {
  EXPECT_EQ(ErrorOf("portfolio:\n  manual_list: Acorn\n"),
            "config.yml line 2: portfolio.manual_list = 'Acorn': expected a list of names");
}

TEST(ConfigErrors, OutOfRange) {
  EXPECT_EQ(
      ErrorOf("portfolio:\n  constraints:\n    max_weight: 1.5\n"),
      "config.yml line 3: portfolio.constraints.max_weight = '1.5': expected a value in (0, 1]");
  EXPECT_EQ(ErrorOf("vol_adjust: {target_vol: -0.1}\n"),
            "config.yml line 1: vol_adjust.target_vol = '-0.1': expected a value in (0, 100]");
  EXPECT_EQ(ErrorOf("vol_adjust: {target_vol: .inf}\n"),
            "config.yml line 1: vol_adjust.target_vol = '.inf': expected a finite number");
  EXPECT_EQ(ErrorOf("portfolio: {rank: {zscore_window: -5}}\n"),
            "config.yml line 1: portfolio.rank.zscore_window = '-5': expected a value in [1, "
            "100000]");
}

TEST(ConfigErrors, BadChoice) {
  EXPECT_EQ(ErrorOf("portfolio: {rank: {inclusion_approach: best}}\n"),
            "config.yml line 1: portfolio.rank.inclusion_approach = 'best': expected one of top_n, "
            "top_pct, "
            "threshold");
  EXPECT_EQ(ErrorOf("data: {missing_policy: interpolate}\n"),
            "config.yml line 1: data.missing_policy = 'interpolate': unknown missing-data policy; "
            "expected one of drop, ffill, zero");
}

TEST(ConfigErrors, BadMonthLabel) {
  EXPECT_EQ(
      ErrorOf("sample_split: {in_start: Jan 2015}\n"),
      "config.yml line 1: sample_split.in_start = 'Jan 2015': expected a month YYYY-MM or a date "
      "YYYY-MM-DD (years 1000-9999)");
}

TEST(ConfigErrors, NotAMapping) {
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "config.yml: the config must be a mapping of sections (data, portfolio, ...)");
}

}  // namespace
}  // namespace trend
