#include "bloom/layout.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "bloom/bloom_error.hpp"

namespace trend::bloom {
namespace {

// Expected false-positive rate when a B-bit block receives Poisson(lambda) keys of k bits each.
double BlockedRate(double lambda, std::uint32_t block_bits, std::uint32_t hashes) {
  if (lambda <= 0) return 0;
  const double log_miss = std::log1p(-1.0 / block_bits) * hashes;  // log of one key missing a bit
  const double spread = 12.0 * std::sqrt(lambda) + 12.0;
  const auto first = static_cast<std::uint64_t>(std::max(0.0, std::floor(lambda - spread)));
  const auto last = static_cast<std::uint64_t>(std::ceil(lambda + spread));
  double total = 0;
  for (std::uint64_t i = first; i <= last; ++i) {
    const double x = static_cast<double>(i);
    const double poisson = std::exp(x * std::log(lambda) - lambda - std::lgamma(x + 1.0));
    const double bit_set = -std::expm1(x * log_miss);
    total += poisson * std::pow(bit_set, hashes);
  }
  return total;
}

struct Best {
  double rate;
  std::uint32_t hashes;
};

// The rate is unimodal in k with its minimum near ln 2 * B / lambda, so only a few k around
// that are tried.
Best BestHashes(double lambda, std::uint32_t block_bits) {
  const double guess = std::log(2.0) * block_bits / lambda;
  const auto centre = static_cast<std::uint32_t>(std::clamp(std::round(guess), 1.0, 32.0));
  Best best{2.0, 1};
  for (std::uint32_t k = centre > 3 ? centre - 3 : 1; k <= std::min(centre + 3, kMaxHashes); ++k) {
    const double rate = BlockedRate(lambda, block_bits, k);
    if (rate < best.rate) best = {rate, k};
  }
  return best;
}

// The most keys per block for which the best k still meets the target rate.
double KeysPerBlock(std::uint32_t block_bits, double target) {
  double low = 1e-3;  // meets any target above 1e-10 or so
  double high = block_bits;
  for (int step = 0; step < 44; ++step) {
    const double mid = 0.5 * (low + high);
    (BestHashes(mid, block_bits).rate <= target ? low : high) = mid;
  }
  return low;
}

}  // namespace

BlockLayout ChooseLayout(std::uint64_t capacity, double error_rate) {
  if (capacity == 0) throw ShapeError("capacity must be at least 1");
  if (!(error_rate >= kMinErrorRate && error_rate < 1)) {
    throw ShapeError(fmt::format("error rate {} is outside [{}, 1)", error_rate, kMinErrorRate));
  }
  const double target = error_rate * kSizingMargin;
  const double bound = std::log2(1.0 / error_rate);
  const auto keys = static_cast<double>(capacity);
  BlockLayout layout;
  for (std::uint32_t block_bits : {512u, 1024u, 2048u, 4096u}) {
    const double lambda = KeysPerBlock(block_bits, target);
    layout.block_bits = block_bits;
    layout.num_blocks =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(keys / lambda)));
    layout.hashes = BestHashes(keys / static_cast<double>(layout.num_blocks), block_bits).hashes;
    if (block_bits / lambda <= 1.49 * bound) break;
  }
  return layout;
}

double ExpectedFalsePositiveRate(const BlockLayout& layout, std::uint64_t keys) {
  return BlockedRate(static_cast<double>(keys) / static_cast<double>(layout.num_blocks),
                     layout.block_bits, layout.hashes);
}

}  // namespace trend::bloom
