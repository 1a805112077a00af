// How a native filter is laid out: blocks of 512 to 4,096 bits, every key's bits inside one
// block, so a lookup touches one to four adjacent cache lines instead of k random ones.
//
// Blocking costs accuracy: blocks receive a Poisson-distributed number of keys, and the fuller
// ones answer "maybe" more often. So the size is not the classic formula but the smallest one
// whose exact expected false-positive rate,
//   sum over i of Poisson(i; keys per block) * (1 - (1 - 1/B)^(i k))^k,
// is at most kSizingMargin times the rate asked for, with the best k for that size; and the
// block is the smallest that keeps the memory within 1.49 x log2(1/p) bits per key (the
// information-theoretic bound), falling back to the widest block for very small rates.
#pragma once

#include <cstdint>

namespace trend::bloom {

// The filter is sized for this fraction of the rate asked for, so that a measured rate (a
// binomial count) stays under 1.05 x the rate even a few standard deviations out.
inline constexpr double kSizingMargin = 0.95;
inline constexpr std::uint32_t kMaxHashes = 32;
inline constexpr double kMinErrorRate = 1e-9;

struct BlockLayout {
  std::uint64_t num_blocks = 0;
  std::uint32_t block_bits = 0;  // 512, 1024, 2048 or 4096
  std::uint32_t hashes = 0;      // bits set per key, all in one block

  std::uint64_t TotalBits() const { return num_blocks * block_bits; }
  bool operator==(const BlockLayout&) const = default;
};

// Throws ShapeError for capacity 0 or an error rate outside [kMinErrorRate, 1).
BlockLayout ChooseLayout(std::uint64_t capacity, double error_rate);

// The expected false-positive rate of a filter with this layout holding `keys` keys.
double ExpectedFalsePositiveRate(const BlockLayout& layout, std::uint64_t keys);

}  // namespace trend::bloom
