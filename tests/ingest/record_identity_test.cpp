// The occurrence counter against a plain model of its rule (a node-based map, as it was first
// written): identical lines in the same second are numbered 0, 1, 2...; lines older than the
// window are forgotten. Hashes are chosen to share their low bits, so that the open-addressing
// table probes, grows and shifts entries back on erase.
#include "ingest/record_identity.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <unordered_map>
#include <vector>

namespace trend::ingest {
namespace {

class ModelCounter {
 public:
  std::uint64_t Next(std::uint64_t hash, std::int64_t time) {
    newest_ = std::max(newest_, time);
    auto [it, inserted] = counts_.try_emplace(hash, Entry{time, 0});
    if (inserted || it->second.time != time) {
      it->second = Entry{time, 0};
      seconds_[time].push_back(hash);
    }
    return it->second.next++;
  }
  void Evict() {
    const std::int64_t cutoff = newest_ - kWindowSeconds;
    while (!seconds_.empty() && seconds_.begin()->first < cutoff) {
      for (const std::uint64_t hash : seconds_.begin()->second) {
        const auto it = counts_.find(hash);
        if (it != counts_.end() && it->second.time == seconds_.begin()->first) counts_.erase(it);
      }
      seconds_.erase(seconds_.begin());
    }
  }
  std::size_t size() const { return counts_.size(); }

 private:
  struct Entry {
    std::int64_t time;
    std::uint64_t next;
  };
  std::unordered_map<std::uint64_t, Entry> counts_;
  std::map<std::int64_t, std::vector<std::uint64_t>> seconds_;
  std::int64_t newest_ = INT64_MIN / 2;
};

TEST(OccurrenceCounter, MatchesTheModelThroughGrowthAndEviction) {
  std::mt19937_64 random(7);
  OccurrenceCounter counter;
  ModelCounter model;
  std::int64_t time = 1'790'000'000;
  for (std::uint64_t line = 0; line < 400'000; ++line) {
    // Mostly forward in time, sometimes a jump past the window, sometimes a late line.
    const auto step = random() % 1000;
    if (step < 3) time += 1 + static_cast<std::int64_t>(random() % 400);
    if (step == 3) time -= 2;
    if (step > 990) time += 1;
    // 5,000 distinct lines whose hashes share their low 12 bits in groups.
    const std::uint64_t id = random() % 5000;
    const std::uint64_t hash = (id << 12) | (id % 7);
    ASSERT_EQ(counter.Next(hash, time, line), model.Next(hash, time)) << "line " << line;
    if (line % 997 == 0) {
      counter.Evict();
      model.Evict();
      ASSERT_EQ(counter.size(), model.size()) << "line " << line;
    }
  }
}

TEST(OccurrenceCounter, SameLineSameSecondCountsUpAndANewSecondRestarts) {
  OccurrenceCounter counter;
  EXPECT_EQ(counter.Next(42, 100, 0), 0u);
  EXPECT_EQ(counter.Next(42, 100, 10), 1u);
  EXPECT_EQ(counter.Next(43, 100, 20), 0u);
  EXPECT_EQ(counter.Next(42, 101, 30), 0u);
  EXPECT_EQ(counter.WindowOffset(40), 0u);
  counter.Next(1, 100 + kWindowSeconds + 2, 40);
  counter.Evict();
  EXPECT_EQ(counter.size(), 1u);
  EXPECT_EQ(counter.WindowOffset(50), 40u);
  counter.Clear();
  EXPECT_EQ(counter.size(), 0u);
  EXPECT_EQ(counter.Next(42, 100, 0), 0u);
}

}  // namespace
}  // namespace trend::ingest
