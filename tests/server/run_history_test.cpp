// The run history: newest first, paged, a rerun moves to the top; with a directory, runs are
// read back after a restart and a damaged file is skipped; ids that are not ids name no file.
#include "server/run_history.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace trend {
namespace {

namespace fs = std::filesystem;

RunRecord Record(const std::string& id, const std::string& created) {
  RunRecord r;
  r.id = id;
  r.created = created;
  r.mode = "single";
  r.dataset_id = std::string(64, 'a');
  r.config_text = "portfolio: {weighting_scheme: hrp}";
  r.headline = {{"sharpe", 1.5}};
  return r;
}

TEST(RunHistory, ListsNewestFirstInPages) {
  RunHistory history({}, 3);
  for (int i = 0; i < 5; ++i) {
    history.Record(Record("a" + std::to_string(i), "2026-01-0" + std::to_string(i + 1)),
                   std::make_shared<const std::string>("{}"));
  }
  EXPECT_EQ(history.size(), 3u);  // memory keeps the newest max_runs
  const auto page = history.List(1, 1);
  EXPECT_EQ(page.total, 3u);
  ASSERT_EQ(page.runs.size(), 1u);
  EXPECT_EQ(page.runs[0].id, "a3");
  history.Record(Record("a2", "2026-01-09"), std::make_shared<const std::string>("{}"));
  EXPECT_EQ(history.List(0, 1).runs[0].id, "a2");
  EXPECT_EQ(history.size(), 3u);
  EXPECT_EQ(*history.Document("a4"), "{}");
  EXPECT_EQ(history.Document("b"), nullptr);
}

TEST(RunHistory, SurvivesARestartWithADirectory) {
  const fs::path dir = fs::temp_directory_path() / ("trend_runs_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    RunHistory history(dir, 1);
    history.Record(Record("0123-abcd", "2026-01-01"),
                   std::make_shared<const std::string>("{\"x\":1}"));
    history.Record(Record("0123-abce", "2026-01-02"),
                   std::make_shared<const std::string>("{\"x\":2}"));
  }
  std::ofstream(dir / "ffff.run.json") << "{not json";
  RunHistory again(dir, 1);
  EXPECT_EQ(again.size(), 2u);  // a directory forgets nothing; the damaged file is skipped
  EXPECT_EQ(again.List(0, 10).runs[0].id, "0123-abce");
  EXPECT_EQ(*again.Document("0123-abcd"), "{\"x\":1}");
  EXPECT_EQ(again.Find("0123-abcd")->config_text, "portfolio: {weighting_scheme: hrp}");
  fs::remove_all(dir);
}

TEST(RunHistory, OnlyIdsNameFiles) {
  EXPECT_TRUE(IsRunId("6cd28196-0f3a-4b8e-9c1d-2a3b4c5d6e7f"));
  EXPECT_TRUE(IsRunId(std::string(64, 'f')));
  EXPECT_FALSE(IsRunId("../etc/passwd"));
  EXPECT_FALSE(IsRunId(""));
  EXPECT_FALSE(IsRunId(std::string(65, 'a')));
  RunHistory history({}, 10);
  EXPECT_THROW(history.Record(Record("../x", "t"), std::make_shared<const std::string>("{}")),
               std::invalid_argument);
}

TEST(RunHistory, SummaryAndHeadlineComeFromTheConfigAndDocument) {
  const auto summary = ConfigSummary(nlohmann::json::parse(
      R"({"portfolio": {"selection_mode": "rank", "rank": {"n": 8}, "weighting_scheme": "hrp"}})"));
  EXPECT_EQ(summary["weighting"], "hrp");
  EXPECT_EQ(summary["rank_n"], 8);
  const auto single =
      HeadlineStatistics(nlohmann::json::parse(R"({"out_user_stats": {"cagr": 0.1}})"));
  EXPECT_EQ(single["cagr"], 0.1);
  const auto multi = HeadlineStatistics(
      nlohmann::json::parse(R"({"n_periods": 4, "summary": {"out_user_stats": {"sharpe": 2}}})"));
  EXPECT_EQ(multi["sharpe"], 2);
  EXPECT_EQ(multi["periods"], 4);
}

}  // namespace
}  // namespace trend
