// A bit-exact replica of numpy's default_rng(seed) (SeedSequence -> PCG64) and of
// Generator.choice(n, k, replace=False), so random selection draws the same funds as the
// reference for the same seed.
#pragma once

#include <cstdint>
#include <vector>

namespace trend {

class NumpyPcg64 {
 public:
  explicit NumpyPcg64(std::uint64_t seed);

  std::uint64_t Next64();
  std::uint32_t Next32();  // numpy buffers the high half of a 64-bit draw
  // Uniform integer in [0, max] (numpy's random_bounded_uint64 with Lemire's method).
  std::uint64_t Bounded(std::uint64_t max);

 private:
  __extension__ using Uint128 = unsigned __int128;
  Uint128 state_ = 0;
  Uint128 increment_ = 0;
  bool has_uint32_ = false;
  std::uint32_t buffered_uint32_ = 0;
};

// Generator.choice(population_size, sample_size, replace=False) for population_size <= 10000:
// Floyd's algorithm followed by a Fisher-Yates shuffle. Returns indices in draw order.
std::vector<std::int64_t> NumpyChoiceWithoutReplacement(std::uint64_t seed,
                                                        std::int64_t population_size,
                                                        std::int64_t sample_size);

}  // namespace trend
