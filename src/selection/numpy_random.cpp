#include "selection/numpy_random.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_set>

namespace trend {
namespace {

// numpy.random.SeedSequence constants.
constexpr std::uint32_t kInitA = 0x43b0d7e5u;
constexpr std::uint32_t kMultA = 0x931e8875u;
constexpr std::uint32_t kInitB = 0x8b51f9ddu;
constexpr std::uint32_t kMultB = 0x58f38dedu;
constexpr std::uint32_t kMixMultL = 0xca01f9ddu;
constexpr std::uint32_t kMixMultR = 0x4973f715u;
constexpr int kXShift = 16;
constexpr std::size_t kPoolSize = 4;

std::uint32_t HashMix(std::uint32_t value, std::uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

std::uint32_t Mix(std::uint32_t x, std::uint32_t y) {
  std::uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

// SeedSequence(seed).generate_state(4, uint64) as 8 uint32 words.
std::array<std::uint64_t, 4> SeedSequenceState(std::uint64_t seed) {
  std::vector<std::uint32_t> entropy;
  do {
    entropy.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);

  std::array<std::uint32_t, kPoolSize> pool{};
  std::uint32_t hash_const = kInitA;
  for (std::size_t i = 0; i < kPoolSize; ++i) {
    pool[i] = HashMix(i < entropy.size() ? entropy[i] : 0u, hash_const);
  }
  for (std::size_t src = 0; src < kPoolSize; ++src) {
    for (std::size_t dst = 0; dst < kPoolSize; ++dst) {
      if (src != dst) pool[dst] = Mix(pool[dst], HashMix(pool[src], hash_const));
    }
  }
  for (std::size_t src = kPoolSize; src < entropy.size(); ++src) {
    for (std::size_t dst = 0; dst < kPoolSize; ++dst) {
      pool[dst] = Mix(pool[dst], HashMix(entropy[src], hash_const));
    }
  }

  std::array<std::uint32_t, 8> words{};
  std::uint32_t hash_b = kInitB;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::uint32_t value = pool[i % kPoolSize];
    value ^= hash_b;
    hash_b *= kMultB;
    value *= hash_b;
    value ^= value >> kXShift;
    words[i] = value;
  }
  std::array<std::uint64_t, 4> state{};
  for (std::size_t i = 0; i < 4; ++i) {
    state[i] = static_cast<std::uint64_t>(words[2 * i]) |
               (static_cast<std::uint64_t>(words[2 * i + 1]) << 32);
  }
  return state;
}

}  // namespace

NumpyPcg64::NumpyPcg64(std::uint64_t seed) {
  const auto words = SeedSequenceState(seed);
  const Uint128 init_state = (static_cast<Uint128>(words[0]) << 64) | words[1];
  const Uint128 init_seq = (static_cast<Uint128>(words[2]) << 64) | words[3];
  const Uint128 multiplier =
      (static_cast<Uint128>(0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL;
  increment_ = (init_seq << 1u) | 1u;
  state_ = 0;
  state_ = state_ * multiplier + increment_;
  state_ += init_state;
  state_ = state_ * multiplier + increment_;
}

std::uint64_t NumpyPcg64::Next64() {
  const Uint128 multiplier =
      (static_cast<Uint128>(0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL;
  state_ = state_ * multiplier + increment_;
  const auto high = static_cast<std::uint64_t>(state_ >> 64);
  const auto low = static_cast<std::uint64_t>(state_);
  const auto rotation = static_cast<unsigned>(state_ >> 122u);
  const std::uint64_t x = high ^ low;
  return (x >> rotation) | (x << ((64u - rotation) & 63u));
}

std::uint32_t NumpyPcg64::Next32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return buffered_uint32_;
  }
  const std::uint64_t next = Next64();
  has_uint32_ = true;
  buffered_uint32_ = static_cast<std::uint32_t>(next >> 32);
  return static_cast<std::uint32_t>(next & 0xffffffffu);
}

std::uint64_t NumpyPcg64::Bounded(std::uint64_t max) {
  if (max == 0) return 0;
  if (max <= 0xffffffffULL) {
    if (max == 0xffffffffULL) return Next32();
    const auto range = static_cast<std::uint32_t>(max) + 1u;
    std::uint64_t m = static_cast<std::uint64_t>(Next32()) * range;
    auto leftover = static_cast<std::uint32_t>(m & 0xffffffffu);
    if (leftover < range) {
      const std::uint32_t threshold = (0xffffffffu - static_cast<std::uint32_t>(max)) % range;
      while (leftover < threshold) {
        m = static_cast<std::uint64_t>(Next32()) * range;
        leftover = static_cast<std::uint32_t>(m & 0xffffffffu);
      }
    }
    return m >> 32;
  }
  // 64-bit Lemire.
  const std::uint64_t range = max + 1;
  if (range == 0) return Next64();
  Uint128 m = static_cast<Uint128>(Next64()) * range;
  auto leftover = static_cast<std::uint64_t>(m);
  if (leftover < range) {
    const std::uint64_t threshold = (0xffffffffffffffffULL - max) % range;
    while (leftover < threshold) {
      m = static_cast<Uint128>(Next64()) * range;
      leftover = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::vector<std::int64_t> NumpyChoiceWithoutReplacement(std::uint64_t seed,
                                                        std::int64_t population_size,
                                                        std::int64_t sample_size) {
  if (sample_size > population_size || sample_size < 0) {
    throw std::invalid_argument("sample larger than population");
  }
  NumpyPcg64 rng(seed);
  std::vector<std::int64_t> chosen(static_cast<std::size_t>(sample_size));
  std::unordered_set<std::int64_t> seen;
  for (std::int64_t j = population_size - sample_size; j < population_size; ++j) {
    auto value = static_cast<std::int64_t>(rng.Bounded(static_cast<std::uint64_t>(j)));
    if (!seen.insert(value).second) {
      value = j;
      seen.insert(j);
    }
    chosen[static_cast<std::size_t>(j - population_size + sample_size)] = value;
  }
  for (std::int64_t i = sample_size - 1; i >= 1; --i) {
    const auto j = static_cast<std::size_t>(rng.Bounded(static_cast<std::uint64_t>(i)));
    std::swap(chosen[j], chosen[static_cast<std::size_t>(i)]);
  }
  return chosen;
}

}  // namespace trend
