// The Bloom peer harness's driver for our native filter (../shared/peers/bloom, its
// PRODUCT_BLOOM_CMD slot):
//   bloom_driver --n N --p P [--lookups L] [--absent A] [--seed S] [--one-at-a-time]
// Keys, timing and the printed JSON follow the harness's contract (its README, "driver
// contract"): key(i) = 16 lowercase hex digits of splitmix64((seed << 40) + i); n inserts, L
// lookups alternating a present and an absent key, the false-positive rate on A keys never added.
// By default the keys go through AddMany / ContainsMany, the bulk calls an ingest batch uses;
// --one-at-a-time times Add / Contains per key instead.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom_filter.hpp"

namespace {

std::uint64_t Splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void MakeKey(std::uint64_t i, std::uint64_t seed, char* out) {
  static const char kHex[] = "0123456789abcdef";
  std::uint64_t v = Splitmix64((seed << 40) + i);
  for (int d = 15; d >= 0; --d) {
    out[d] = kHex[v & 0xF];
    v >>= 4;
  }
}

// Keys packed 16 bytes apart, with views onto them for the bulk calls.
struct KeySet {
  std::vector<char> bytes;
  std::vector<std::string_view> views;
  KeySet(std::uint64_t count, std::uint64_t seed, auto&& index_of) : bytes(count * 16) {
    views.reserve(count);
    for (std::uint64_t j = 0; j < count; ++j) {
      MakeKey(index_of(j), seed, bytes.data() + j * 16);
      views.emplace_back(bytes.data() + j * 16, 16);
    }
  }
};

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 1'000'000, lookups = 1'000'000, absent = 1'000'000, seed = 42;
  double p = 0.01;
  bool one_at_a_time = false;
  for (int a = 1; a < argc; ++a) {
    const std::string flag = argv[a];
    if (flag == "--one-at-a-time") {
      one_at_a_time = true;
      continue;
    }
    if (a + 1 >= argc) {
      std::fprintf(stderr, "bloom_driver: %s needs a value\n", flag.c_str());
      return 2;
    }
    const char* value = argv[++a];
    if (flag == "--n")
      n = std::strtoull(value, nullptr, 10);
    else if (flag == "--p")
      p = std::strtod(value, nullptr);
    else if (flag == "--lookups")
      lookups = std::strtoull(value, nullptr, 10);
    else if (flag == "--absent")
      absent = std::strtoull(value, nullptr, 10);
    else if (flag == "--seed")
      seed = std::strtoull(value, nullptr, 10);
    else {
      std::fprintf(stderr, "bloom_driver: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (n == 0 || lookups / 2 > n || n + absent >= (std::uint64_t{1} << 40)) {
    std::fprintf(stderr, "bloom_driver: need n >= 1, lookups/2 <= n, n + absent < 2^40\n");
    return 2;
  }
  // Keys are made before timing, so only the filter's work is measured.
  const KeySet present(n, seed, [](std::uint64_t j) { return j; });
  const KeySet probes(lookups, seed,
                      [n](std::uint64_t j) { return j % 2 == 0 ? j / 2 : n + j / 2; });
  const KeySet never(absent, seed, [n](std::uint64_t j) { return n + j; });

  trend::bloom::BloomFilter filter(n, p);
  std::vector<std::uint8_t> answers(std::max({n, lookups, absent}));
  const double t0 = Seconds();
  if (one_at_a_time) {
    for (std::uint64_t i = 0; i < n; ++i) answers[i] = filter.Add(present.views[i]) ? 1 : 0;
  } else {
    filter.AddMany(present.views, answers);
  }
  const double t1 = Seconds();
  if (one_at_a_time) {
    for (std::uint64_t j = 0; j < lookups; ++j)
      answers[j] = filter.Contains(probes.views[j]) ? 1 : 0;
  } else {
    filter.ContainsMany(probes.views, answers);
  }
  const double t2 = Seconds();
  std::uint64_t hits = 0, present_hits = 0;
  for (std::uint64_t j = 0; j < lookups; ++j) {
    hits += answers[j];
    if (j % 2 == 0) present_hits += answers[j];
  }
  filter.ContainsMany(never.views, answers);
  std::uint64_t false_positives = 0;
  for (std::uint64_t i = 0; i < absent; ++i) false_positives += answers[i];

  const auto memory = static_cast<double>(filter.MemoryBytes());
  std::printf(
      "{\"impl\":\"trend-engine native%s\",\"version\":\"block %u bits\",\"n\":%llu,\"p\":%g,"
      "\"seed\":%llu,\"insert_ns_per_op\":%.2f,\"lookup_ns_per_op\":%.2f,\"lookups\":%llu,"
      "\"lookup_hits\":%llu,\"false_negatives\":%llu,\"absent_checked\":%llu,"
      "\"false_positives\":%llu,\"fp_rate\":%.6g,\"memory_bytes\":%zu,"
      "\"bits_per_element\":%.4f,\"hashes\":%u,\"peak_rss_kib\":%ld}\n",
      one_at_a_time ? " (one at a time)" : "", filter.layout().block_bits,
      static_cast<unsigned long long>(n), p, static_cast<unsigned long long>(seed),
      (t1 - t0) * 1e9 / static_cast<double>(n), (t2 - t1) * 1e9 / static_cast<double>(lookups),
      static_cast<unsigned long long>(lookups), static_cast<unsigned long long>(hits),
      static_cast<unsigned long long>((lookups + 1) / 2 - present_hits),
      static_cast<unsigned long long>(absent), static_cast<unsigned long long>(false_positives),
      static_cast<double>(false_positives) / static_cast<double>(absent), filter.MemoryBytes(),
      memory * 8 / static_cast<double>(n), filter.layout().hashes, PeakRssKib());
  return 0;
}
