// The dataset store: dedupe by content hash, the memory budget, and the optional directory
// that keeps datasets across eviction and restarts.
#include "server/dataset_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support/temp_dir.hpp"
#include "error/input_error.hpp"
#include "test_files.hpp"

namespace trend {
namespace {

namespace fs = std::filesystem;

// The store makes its directory itself.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("trend_datasets", /*create=*/false) {}
};

// Two different small returns files.
std::string Csv(double first) {
  return "Date,A,B\n2020-01-31," + std::to_string(first) +
         ",0.02\n2020-02-29,0.01,0.03\n2020-03-31,-0.02,0.01\n";
}

TEST(DatasetStore, DedupesByContentInMemory) {
  DatasetStore store(1 << 20);
  bool created = false;
  const auto a = store.Store(Csv(0.01), &created);
  EXPECT_TRUE(created);
  EXPECT_TRUE(IsDatasetId(a->id));
  EXPECT_EQ(a->frame.columns, (std::vector<std::string>{"A", "B"}));
  const auto again = store.Store(Csv(0.01), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.get(), a.get());
  EXPECT_EQ(store.Find(a->id).get(), a.get());
  EXPECT_EQ(store.Find("0123"), nullptr);
  EXPECT_EQ(store.entries(), 1u);
}

TEST(DatasetStore, BadCsvIsAnInputErrorAndNotKept) {
  TempDir dir;
  DatasetStore store(1 << 20, dir.path());
  EXPECT_THROW(store.Store("Date,A\nnot-a-date,x\n"), InputError);
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(DatasetStore, MemoryOnlyForgetsWhatTheBudgetEvicts) {
  DatasetStore store(1);  // room for the newest only
  const auto a = store.Store(Csv(0.01));
  const auto b = store.Store(Csv(0.02));
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.Find(a->id), nullptr);
  EXPECT_NE(store.Find(b->id), nullptr);
}

TEST(DatasetStore, DirectoryKeepsEvictedDatasetsAndSurvivesARestart) {
  TempDir dir;
  std::string a_id;
  {
    DatasetStore store(1, dir.path());
    a_id = store.Store(Csv(0.01))->id;
    store.Store(Csv(0.02));
    EXPECT_TRUE(fs::exists(dir.path() / (a_id + ".csv")));
    const auto back = store.Find(a_id);  // evicted from memory, read from disk
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->frame.rows(), 3);
    EXPECT_EQ(store.disk_reads(), 1u);
  }
  DatasetStore restarted(1 << 20, dir.path());
  const auto found = restarted.Find(a_id);
  ASSERT_NE(found, nullptr);
  EXPECT_DOUBLE_EQ(found->frame.values(0, 0), 0.01);
  // No temporary files are left behind.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().extension(), ".csv") << entry.path();
  }
}

// A server killed mid-write leaves <id>.csv.tmp.<pid>.<n>; the next start removes those of
// dead processes and keeps a live one's.
TEST(DatasetStore, StartingRemovesTheTemporariesOfKilledProcesses) {
  TempDir dir;
  fs::create_directories(dir.path());
  const fs::path dead = dir.path() / "abc.csv.tmp.999999999.0";  // no such process
  const fs::path live = dir.path() / ("abc.csv.tmp." + std::to_string(::getppid()) + ".0");
  std::ofstream(dead) << "partial";
  std::ofstream(live) << "partial";
  DatasetStore store(1 << 20, dir.path());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
}

TEST(DatasetStore, ATamperedFileOrAPathLikeIdIsNotADataset) {
  TempDir dir;
  std::string id;
  {
    DatasetStore store(1 << 20, dir.path());
    id = store.Store(Csv(0.01))->id;
  }
  std::ofstream(dir.path() / (id + ".csv")) << Csv(0.05);
  DatasetStore restarted(1 << 20, dir.path());
  EXPECT_EQ(restarted.Find(id), nullptr);
  EXPECT_EQ(restarted.Find("../" + id), nullptr);
}

TEST(DatasetStore, AnUnusableDirectoryIsReportedByName) {
  TempDir dir;
  fs::create_directories(dir.path());
  const fs::path file = dir.path() / "plain-file";
  std::ofstream(file) << "x";
  try {
    DatasetStore store(1 << 20, file / "sub");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("plain-file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trend
