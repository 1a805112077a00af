// Selection models: numpy-identical random draws, firm keys, rank inclusion rules.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "selection/numpy_random.hpp"
#include "selection/selection_model.hpp"

namespace trend {
namespace {

std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back((i < 10 ? "F0" : "F") + std::to_string(i));
  return names;
}

std::vector<std::string> Draw(std::uint64_t seed, int population, int k) {
  std::vector<std::string> out;
  for (auto i : NumpyChoiceWithoutReplacement(seed, population, k))
    out.push_back(Names(population)[static_cast<std::size_t>(i)]);
  return out;
}

TEST(NumpyChoice, MatchesNumpyDefaultRng) {
  EXPECT_EQ(Draw(42, 10, 3), (std::vector<std::string>{"F09", "F00", "F06"}));
  EXPECT_EQ(Draw(42, 20, 8),
            (std::vector<std::string>{"F18", "F13", "F15", "F09", "F16", "F07", "F01", "F10"}));
  EXPECT_EQ(Draw(7, 30, 8),
            (std::vector<std::string>{"F27", "F24", "F06", "F23", "F26", "F15", "F17", "F21"}));
}

TEST(FirmKey, ReferenceHeuristics) {
  EXPECT_EQ(FirmKey("Mgr_01"), "mgr");
  EXPECT_EQ(FirmKey("ABC Fund 1"), "abc");
  EXPECT_EQ(FirmKey("Larch Managed II"), "larch managed");
  EXPECT_EQ(FirmKey("Larch Managed"), "larch managed");
  EXPECT_EQ(FirmKey("AQT Program"), "aqt");
  EXPECT_EQ(FirmKey("  123 "), "123");
}

struct Fixture {
  std::vector<std::string> names = {"Alpha One", "Beta Two", "Gamma Three", "Alpha One II"};
  Eigen::MatrixXd returns;
  PortfolioSettings portfolio;
  Fixture() {
    returns.resize(6, 4);
    returns << 0.03, 0.01, 0.02, 0.025,  //
        0.02, 0.00, 0.01, 0.02,          //
        0.01, 0.02, -0.01, 0.015,        //
        0.04, 0.01, 0.00, 0.03,          //
        -0.01, 0.00, 0.02, -0.005,       //
        0.02, 0.01, 0.01, 0.02;
    portfolio.selection_mode = "rank";
    portfolio.rank.score_by = Metric::kAnnualReturn;
  }
  std::vector<std::string> Select() const {
    const auto model = BuiltinSelectionModels().Create(portfolio.selection_mode);
    const SelectionContext ctx{names, returns, portfolio, 42};
    std::vector<std::string> out;
    for (auto i : model->Select(ctx)) out.push_back(names[i]);
    return out;
  }
};

TEST(RankSelection, TopNKeepsOneFundPerFirmAndBackFills) {
  Fixture f;
  f.portfolio.rank.n = 2;
  // Alpha One and Alpha One II share a firm: the second slot goes to the next firm.
  const auto picked = f.Select();
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0], "Alpha One");
  EXPECT_NE(picked[1], "Alpha One II");
  f.portfolio.rank.n = 4;
  EXPECT_EQ(f.Select().size(), 4u);  // back-fill with the same-firm fund
  EXPECT_EQ(f.Select().back(), "Alpha One II");
}

TEST(RankSelection, ThresholdOnMaxDrawdownIsAscending) {
  Fixture f;
  f.portfolio.rank.score_by = Metric::kMaxDrawdown;
  f.portfolio.rank.inclusion_approach = RankInclusion::kThreshold;
  f.portfolio.rank.threshold = 0.0;
  f.portfolio.rank.limit_one_per_firm = false;
  EXPECT_EQ(f.Select(), (std::vector<std::string>{"Beta Two"}));
}

TEST(RankSelection, TopPctRoundsHalfToEven) {
  Fixture f;
  f.portfolio.rank.inclusion_approach = RankInclusion::kTopPct;
  f.portfolio.rank.pct = 0.375;  // 4 x 0.375 = 1.5 -> 2
  f.portfolio.rank.limit_one_per_firm = false;
  EXPECT_EQ(f.Select().size(), 2u);
  f.portfolio.rank.pct = 0.625;  // 2.5 -> 2
  EXPECT_EQ(f.Select().size(), 2u);
}

TEST(ManualSelection, KeepsDataColumnOrder) {
  Fixture f;
  f.portfolio.selection_mode = "manual";
  f.portfolio.manual_list = {"Gamma Three", "Alpha One"};
  EXPECT_EQ(f.Select(), (std::vector<std::string>{"Alpha One", "Gamma Three"}));
}

// numpy's Generator.choice vectors of spec §5.1, through the selection model: the draw order
// is kept, and the seed decides it.
TEST(RandomSelection, DrawsAsNumpyDoes) {
  Fixture f;
  f.names.clear();
  for (int i = 0; i < 20; ++i) f.names.push_back(fmt::format("F{:02d}", i));
  f.returns = Eigen::MatrixXd::Zero(6, 20);
  f.portfolio.selection_mode = "random";
  f.portfolio.random_n = 8;
  EXPECT_EQ(f.Select(),
            (std::vector<std::string>{"F18", "F13", "F15", "F09", "F16", "F07", "F01", "F10"}));
  f.names.resize(10);
  f.returns = Eigen::MatrixXd::Zero(6, 10);
  f.portfolio.random_n = 3;
  EXPECT_EQ(f.Select(), (std::vector<std::string>{"F09", "F00", "F06"}));
}

TEST(RandomSelection, DeterministicForSeedAndKeepsAllWhenSmall) {
  Fixture f;
  f.portfolio.selection_mode = "random";
  f.portfolio.random_n = 2;
  EXPECT_EQ(f.Select().size(), 2u);
  f.portfolio.random_n = 10;
  EXPECT_EQ(f.Select(), f.names);
}

}  // namespace
}  // namespace trend
