// pybloom-live interop: the files pybloom-live 4.0.0 wrote (tests/bloom/pybloom_live, copied
// from ../shared/interop with their README) load here and give exactly pybloom-live's answers,
// and the same filters built here serialize to the same bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom_error.hpp"
#include "bloom/filter_file.hpp"
#include "bloom/pybloom_format.hpp"

namespace trend::bloom {
namespace {

const std::string kDir = std::string(TREND_SOURCE_DIR) + "/tests/bloom/pybloom_live/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

nlohmann::json Expected(const std::string& file) {
  return nlohmann::json::parse(ReadAll(kDir + "expected.json")).at(file);
}

std::string LittleEndian8(std::uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  return std::string(bytes, 8);
}

// Indices of keys_out.txt that the filter (wrongly) reports present.
std::vector<int> FalsePositives(const MembershipFilter& filter) {
  std::vector<int> hits;
  const auto keys_out = Lines(kDir + "keys_out.txt");
  for (std::size_t i = 0; i < keys_out.size(); ++i) {
    if (filter.Contains(keys_out[i])) hits.push_back(static_cast<int>(i));
  }
  return hits;
}

bool AllKeysInPresent(const MembershipFilter& filter) {
  for (const auto& key : Lines(kDir + "keys_in.txt")) {
    if (!filter.Contains(key)) return false;
  }
  return true;
}

TEST(PybloomInterop, KeyFilesHoldTenThousandKeysEach) {
  EXPECT_EQ(Lines(kDir + "keys_in.txt").size(), 10000u);
  EXPECT_EQ(Lines(kDir + "keys_out.txt").size(), 10000u);
}

TEST(PybloomInterop, FixedFilterFromPythonAnswersAsPythonDid) {
  const auto expected = Expected("fixed_10000_p0.001.bloom");
  const PybloomFilter filter = PybloomFilter::Load(kDir + "fixed_10000_p0.001.bloom");
  EXPECT_EQ(filter.Count(), expected.at("count").get<std::uint64_t>());
  EXPECT_EQ(filter.capacity(), expected.at("capacity").get<std::uint64_t>());
  EXPECT_EQ(filter.error_rate(), expected.at("error_rate").get<double>());
  EXPECT_EQ(filter.num_slices(), expected.at("num_slices").get<std::uint64_t>());
  EXPECT_EQ(filter.bits_per_slice(), expected.at("bits_per_slice").get<std::uint64_t>());
  EXPECT_EQ(filter.Info().bits, expected.at("num_bits").get<std::uint64_t>());
  EXPECT_TRUE(AllKeysInPresent(filter));
  EXPECT_EQ(FalsePositives(filter),
            expected.at("false_positives_in_keys_out").get<std::vector<int>>());
}

TEST(PybloomInterop, ScalableFiltersFromPythonAnswerAsPythonDid) {
  for (const char* file : {"scalable_1000_p0.01_small.bloom", "scalable_1000_p0.01_large.bloom"}) {
    SCOPED_TRACE(file);
    const auto expected = Expected(file);
    const auto filter = LoadFilter(kDir + file);  // recognised without being told the kind
    EXPECT_EQ(filter->Info().kind, "scalable");
    EXPECT_EQ(filter->Info().format, FileFormat::kPybloom);
    EXPECT_EQ(filter->Count(), expected.at("count").get<std::uint64_t>());
    EXPECT_TRUE(AllKeysInPresent(*filter));
    EXPECT_EQ(FalsePositives(*filter),
              expected.at("false_positives_in_keys_out").get<std::vector<int>>());
  }
}

TEST(PybloomInterop, BytesKeysFilterFromPythonAnswersAsPythonDid) {
  const auto expected = Expected("fixed_1000_p0.01_bytes.bloom");
  const auto filter = LoadFilter(kDir + "fixed_1000_p0.01_bytes.bloom");
  EXPECT_EQ(filter->Info().kind, "fixed");
  EXPECT_EQ(filter->Count(), expected.at("count").get<std::uint64_t>());
  for (std::uint64_t key = 0; key < 1000; ++key) EXPECT_TRUE(filter->Contains(LittleEndian8(key)));
  std::vector<int> hits;
  for (std::uint64_t key = 1000; key < 11000; ++key) {
    if (filter->Contains(LittleEndian8(key))) hits.push_back(static_cast<int>(key));
  }
  EXPECT_EQ(hits, expected.at("false_positives_for_1000_to_10999").get<std::vector<int>>());
}

TEST(PybloomInterop, FiltersBuiltHereSerializeToPythonsExactBytes) {
  const auto keys_in = Lines(kDir + "keys_in.txt");
  PybloomFilter fixed(10000, 0.001);
  for (const auto& key : keys_in) fixed.Add(key);
  EXPECT_EQ(fixed.Serialize(), ReadAll(kDir + "fixed_10000_p0.001.bloom"));

  PybloomScalableFilter small(1000, 0.01, PybloomScalableFilter::kSmallSetGrowth);
  PybloomScalableFilter large(1000, 0.01, PybloomScalableFilter::kLargeSetGrowth);
  for (const auto& key : keys_in) {
    small.Add(key);
    large.Add(key);
  }
  EXPECT_EQ(small.Serialize(), ReadAll(kDir + "scalable_1000_p0.01_small.bloom"));
  EXPECT_EQ(large.Serialize(), ReadAll(kDir + "scalable_1000_p0.01_large.bloom"));

  PybloomFilter bytes_keys(1000, 0.01);
  for (std::uint64_t key = 0; key < 1000; ++key) bytes_keys.Add(LittleEndian8(key));
  EXPECT_EQ(bytes_keys.Serialize(), ReadAll(kDir + "fixed_1000_p0.01_bytes.bloom"));
}

TEST(PybloomInterop, BatchesAnswerAsOneCallPerKey) {
  const auto keys_in = Lines(kDir + "keys_in.txt");  // 10,000: hashed on several threads
  const auto keys_out = Lines(kDir + "keys_out.txt");
  // 500 keys, then all of them: the repeats are not counted.
  std::vector<std::string_view> batch(keys_in.begin(), keys_in.begin() + 500);
  batch.insert(batch.end(), keys_in.begin(), keys_in.end());
  PybloomFilter looped(10000, 0.001);
  std::uint64_t present = 0;
  for (const std::string_view key : batch) present += looped.Add(key) ? 1 : 0;
  ASSERT_GE(present, 500u);
  PybloomFilter batched(10000, 0.001);
  EXPECT_EQ(batched.AddMany(batch), present);
  EXPECT_EQ(batched.Serialize(), ReadAll(kDir + "fixed_10000_p0.001.bloom"));
  std::vector<std::string_view> probes(keys_out.begin(), keys_out.end());
  probes.insert(probes.end(), keys_in.begin(), keys_in.begin() + 100);
  const std::unique_ptr<bool[]> found(new bool[probes.size()]);
  batched.ContainsMany(probes, found.get());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    ASSERT_EQ(found[i], batched.Contains(probes[i])) << probes[i];
  }
  // At capacity: the keys before the one that did not fit are in, as with a loop of Add.
  PybloomFilter small(3, 0.01);
  const std::vector<std::string_view> keys = {"a", "b", "a", "c", "d"};
  EXPECT_THROW(small.AddMany(keys), CapacityError);
  EXPECT_EQ(small.Count(), 3u);
  EXPECT_TRUE(small.Contains("c"));
}

TEST(PybloomInterop, AddFollowsPythonSemantics) {
  PybloomFilter filter(3, 0.01);
  EXPECT_FALSE(filter.Add("apple"));
  EXPECT_TRUE(filter.Add("apple"));  // a repeat: not counted
  EXPECT_EQ(filter.Count(), 1u);
  filter.Add("banana");
  filter.Add("cherry");
  EXPECT_THROW(filter.Add("damson"), CapacityError);  // IndexError in Python
  EXPECT_THROW(PybloomFilter(0, 0.01), ShapeError);
  EXPECT_THROW(PybloomFilter(10, 1.0), ShapeError);
}

TEST(PybloomInterop, UnionAndIntersectionKeepThisFiltersCount) {
  PybloomFilter a(100, 0.01), b(100, 0.01);
  a.Add("apple");
  b.Add("banana");
  b.Add("cherry");
  const PybloomFilter both = a.Union(b);
  EXPECT_TRUE(both.Contains("apple"));
  EXPECT_TRUE(both.Contains("banana"));
  EXPECT_EQ(both.Count(), 1u);
  EXPECT_FALSE(a.Intersection(b).Contains("apple"));
  EXPECT_THROW(a.Union(PybloomFilter(200, 0.01)), ShapeError);
}

TEST(PybloomInterop, DamagedFilesAreRefusedWithTheirName) {
  const std::string good = ReadAll(kDir + "fixed_10000_p0.001.bloom");
  const std::string truncated = good.substr(0, good.size() - 100);
  EXPECT_THROW(PybloomFilter::Parse(truncated, 0, truncated.size(), "cut.bloom"), FilterFileError);
  try {
    PybloomFilter::Parse(truncated, 0, truncated.size(), "cut.bloom");
  } catch (const FilterFileError& error) {
    EXPECT_NE(std::string(error.what()).find("cut.bloom: bit length mismatch"), std::string::npos)
        << error.what();
  }
  std::string zero_slices = good;
  std::memset(zero_slices.data() + 8, 0, 8);
  EXPECT_THROW(PybloomFilter::Parse(zero_slices, 0, zero_slices.size(), "x"), FilterFileError);
  const std::string scalable = ReadAll(kDir + "scalable_1000_p0.01_small.bloom");
  EXPECT_THROW(PybloomScalableFilter::Parse(scalable.substr(0, scalable.size() - 1), "x"),
               FilterFileError);
  EXPECT_THROW(PybloomScalableFilter::Parse(scalable + "x", "x"), FilterFileError);
}

}  // namespace
}  // namespace trend::bloom
