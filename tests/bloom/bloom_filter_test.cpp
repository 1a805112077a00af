// The native filters: semantics, measured accuracy on keys never added, memory against the
// information-theoretic bound, concurrent adds, and the file (read and mapped, damaged).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bloom/bloom_error.hpp"
#include "bloom/bloom_filter.hpp"
#include "bloom/filter_file.hpp"
#include "bloom/layout.hpp"
#include "bloom/scalable_bloom_filter.hpp"

namespace trend::bloom {
namespace {

std::string Key(std::uint64_t i) {
  return "key-" + std::to_string(i);
}

// False-positive rate on `probes` keys never added (indices from `first_absent` on).
template <typename Filter>
double MeasuredRate(const Filter& filter, std::uint64_t first_absent, std::uint64_t probes) {
  std::uint64_t hits = 0;
  for (std::uint64_t i = first_absent; i < first_absent + probes; ++i) {
    hits += filter.Contains(Key(i)) ? 1 : 0;
  }
  return static_cast<double>(hits) / static_cast<double>(probes);
}

std::filesystem::path TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         (name + "." + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "." +
          std::to_string(reinterpret_cast<std::uintptr_t>(&name)));
}

TEST(BlockLayout, StaysWithinOneAndAHalfTimesTheBoundAndUnderTheRate) {
  for (double p : {0.05, 0.01, 0.001, 0.0001}) {
    SCOPED_TRACE(p);
    const std::uint64_t n = 10'000'000;
    const BlockLayout layout = ChooseLayout(n, p);
    const double bits_per_key = static_cast<double>(layout.TotalBits()) / n;
    EXPECT_LE(bits_per_key, 1.5 * std::log2(1 / p));
    EXPECT_LE(ExpectedFalsePositiveRate(layout, n), kSizingMargin * p * 1.0001);
    EXPECT_GE(layout.hashes, 1u);
  }
  EXPECT_THROW(ChooseLayout(0, 0.01), ShapeError);
  EXPECT_THROW(ChooseLayout(10, 0), ShapeError);
  EXPECT_THROW(ChooseLayout(10, 1), ShapeError);
  EXPECT_THROW(ChooseLayout(10, 1e-10), ShapeError);
}

TEST(BloomFilter, AddSaysWhetherTheKeyWasThereAndCountsOnlyNewKeys) {
  BloomFilter filter(1000, 0.01);
  EXPECT_FALSE(filter.Contains("apple"));
  EXPECT_FALSE(filter.Add("apple"));
  EXPECT_TRUE(filter.Add("apple"));
  EXPECT_TRUE(filter.Contains("apple"));
  EXPECT_EQ(filter.Count(), 1u);
  EXPECT_EQ(filter.capacity(), 1000u);
  EXPECT_EQ(filter.error_rate(), 0.01);
}

TEST(BloomFilter, RefusesAddsPastCapacity) {
  BloomFilter filter(2, 0.01);
  filter.Add("a");
  filter.Add("b");
  EXPECT_THROW(filter.Add("c"), CapacityError);
}

TEST(BloomFilter, MeasuredFalsePositiveRateAtCapacityIsWithinFivePercentOfTheRequest) {
  for (double p : {0.01, 0.001}) {
    SCOPED_TRACE(p);
    const std::uint64_t n = 200'000;
    BloomFilter filter(n, p);
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_FALSE(filter.Contains(Key(i)) && false);
    std::vector<std::string> keys;
    for (std::uint64_t i = 0; i < n; ++i) keys.push_back(Key(i));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::uint8_t> was_present(n);
    filter.AddMany(views, was_present);
    std::vector<std::uint8_t> present(n);
    filter.ContainsMany(views, present);
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(present[i]) << "false negative " << i;
    const double rate = MeasuredRate(filter, n, p >= 0.01 ? 400'000 : 2'000'000);
    EXPECT_LE(rate, 1.05 * p);
    EXPECT_GE(rate, 0.5 * p);  // sized for the rate, not wastefully below it
  }
}

// Small batches run on the calling thread, large ones on two (each half of the blocks for adds,
// each half of the keys for lookups): the answers, the count and the bits are one thread's.
TEST(BloomFilter, ManyAndOneAtATimeAgree) {
  for (const std::size_t n : {std::size_t{5000}, std::size_t{300'000}}) {
    SCOPED_TRACE(n);
    BloomFilter one(n, 0.01), many(n, 0.01);
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < n; ++i) keys.push_back(Key(i % (3 * n / 5)));  // repeats too
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::uint8_t> answers(keys.size());
    many.AddMany(views, answers);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ(one.Add(keys[i]), answers[i] != 0) << i;
    }
    EXPECT_EQ(one.Count(), many.Count());
    EXPECT_EQ(one.Serialize(), many.Serialize());
    std::vector<std::string> probes;
    for (std::size_t i = 0; i < n; ++i) probes.push_back(Key(i + n / 2));  // half absent
    std::vector<std::string_view> probe_views(probes.begin(), probes.end());
    std::vector<std::uint8_t> found(probes.size());
    many.ContainsMany(probe_views, found);
    for (std::size_t i = 0; i < probes.size(); ++i) {
      ASSERT_EQ(one.Contains(probes[i]), found[i] != 0) << i;
    }
  }
}

TEST(BloomFilter, ConcurrentAddsFromManyThreadsLoseNothing) {
  const std::uint64_t per_thread = 50'000;
  const unsigned threads = 4;
  BloomFilter filter(per_thread * threads, 0.001);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&filter, t, per_thread] {
      for (std::uint64_t i = t * per_thread; i < (t + 1) * per_thread; ++i)
        filter.AddConcurrent(Key(i));
    });
  }
  for (auto& worker : workers) worker.join();
  for (std::uint64_t i = 0; i < per_thread * threads; ++i) ASSERT_TRUE(filter.Contains(Key(i)));
  // Keys found "maybe present" are not counted, as in a single-threaded add.
  EXPECT_LE(filter.Count(), per_thread * threads);
  EXPECT_GE(filter.Count(), per_thread * threads * 99 / 100);
}

TEST(BloomFilter, UnionAndIntersection) {
  BloomFilter a(1000, 0.01), b(1000, 0.01);
  for (int i = 0; i < 100; ++i) a.Add(Key(static_cast<std::uint64_t>(i)));
  for (int i = 50; i < 150; ++i) b.Add(Key(static_cast<std::uint64_t>(i)));
  const BloomFilter both = a.Union(b);
  const BloomFilter shared = a.Intersection(b);
  for (int i = 0; i < 150; ++i) EXPECT_TRUE(both.Contains(Key(static_cast<std::uint64_t>(i))));
  for (int i = 50; i < 100; ++i) EXPECT_TRUE(shared.Contains(Key(static_cast<std::uint64_t>(i))));
  EXPECT_EQ(both.Count(), 100u);
  EXPECT_THROW(a.Union(BloomFilter(2000, 0.01)), ShapeError);
  EXPECT_THROW(a.Intersection(BloomFilter(1000, 0.02)), ShapeError);
  BloomFilter copy = a.Copy();
  copy.Add("only-in-the-copy");
  EXPECT_FALSE(a.Contains("only-in-the-copy"));
}

TEST(BloomFilter, SavesAndLoadsByReadingAndByMapping) {
  BloomFilter filter(10'000, 0.01);
  for (std::uint64_t i = 0; i < 5000; ++i) filter.Add(Key(i));
  const auto path = TempPath("fixed.bloom");
  filter.Save(path);
  for (bool map : {false, true}) {
    SCOPED_TRACE(map);
    BloomFilter loaded = BloomFilter::Load(path, map);
    EXPECT_EQ(loaded.Count(), 5000u);
    EXPECT_EQ(loaded.layout(), filter.layout());
    for (std::uint64_t i = 0; i < 5000; ++i) ASSERT_TRUE(loaded.Contains(Key(i)));
    EXPECT_EQ(loaded.Serialize(), filter.Serialize());
    loaded.Add("added-after-loading");  // a mapped file is private: the file does not change
  }
  EXPECT_EQ(BloomFilter::Load(path).Serialize(), filter.Serialize());
  const auto any = LoadFilter(path, true);
  EXPECT_EQ(any->Info().kind, "fixed");
  EXPECT_EQ(any->Info().format, FileFormat::kNative);
  std::filesystem::remove(path);
}

TEST(BloomFilter, DamagedFilesAreRefused) {
  BloomFilter filter(1000, 0.01);
  filter.Add("apple");
  const std::string bytes = filter.Serialize();
  const auto path = TempPath("damaged.bloom");
  auto write = [&](const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  };
  std::string flipped = bytes;
  flipped[BloomFilter::kHeaderBytes + 3] ^= 0x10;
  write(flipped);
  EXPECT_THROW(BloomFilter::Load(path), FilterFileError);
  try {
    BloomFilter::Load(path);
  } catch (const FilterFileError& error) {
    EXPECT_NE(std::string(error.what()).find("checksum mismatch"), std::string::npos);
  }
  write(bytes.substr(0, bytes.size() - 64));
  EXPECT_THROW(BloomFilter::Load(path), FilterFileError);
  write(bytes.substr(0, 20));
  EXPECT_THROW(LoadFilter(path), FilterFileError);
  write(bytes + "extra");
  EXPECT_THROW(BloomFilter::Load(path), FilterFileError);
  EXPECT_THROW(BloomFilter::Load(path.string() + ".missing"), FilterFileError);
  std::filesystem::remove(path);
}

TEST(ScalableBloomFilter, GrowsAndKeepsTheRequestedRateAtAnyGrowth) {
  for (double growth : {2.0, 4.0}) {
    SCOPED_TRACE(growth);
    ScalableBloomFilter filter(1000, 0.01, growth);
    const std::uint64_t n = 150'000;
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_FALSE(filter.Add(Key(i)) && false);
    EXPECT_GE(filter.filters().size(), 4u);
    EXPECT_GE(filter.Count(), n * 99 / 100);
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(filter.Contains(Key(i)));
    EXPECT_LE(MeasuredRate(filter, n, 400'000), 1.05 * 0.01);
    EXPECT_LE(filter.Info().expected_false_positive_rate, 0.01);
  }
}

TEST(ScalableBloomFilter, SavesLoadsAndUnites) {
  ScalableBloomFilter a(100, 0.001), b(100, 0.001);
  for (std::uint64_t i = 0; i < 1000; ++i) a.Add(Key(i));
  for (std::uint64_t i = 1000; i < 1200; ++i) b.Add(Key(i));
  const ScalableBloomFilter both = a.Union(b);
  for (std::uint64_t i = 0; i < 1200; ++i) ASSERT_TRUE(both.Contains(Key(i)));
  const auto path = TempPath("scalable.bloom");
  a.Save(path);
  for (bool map : {false, true}) {
    const ScalableBloomFilter loaded = ScalableBloomFilter::Load(path, map);
    EXPECT_EQ(loaded.Count(), a.Count());
    EXPECT_EQ(loaded.filters().size(), a.filters().size());
    for (std::uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(loaded.Contains(Key(i)));
  }
  EXPECT_EQ(LoadFilter(path)->Info().kind, "scalable");
  EXPECT_THROW(a.Union(ScalableBloomFilter(100, 0.01)), ShapeError);
  EXPECT_THROW(ScalableBloomFilter(100, 0.01, 1.5), ShapeError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace trend::bloom
