#include "bloom/bloom_filter.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <utility>

#include <tbb/parallel_invoke.h>

#include "bloom/bloom_error.hpp"
#include "bloom/file_fields.hpp"

namespace trend::bloom {
namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr char kMagic[8] = {'T', 'R', 'B', 'L', 'O', 'O', 'M', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kKindFixed = 1;

// Odd constants for the folded multiplies that spread one 64-bit hash into the 16-bit fields
// that pick a key's bits inside its block (4 fields per multiply, so 8 cover 32 hashes).
constexpr std::array<std::uint64_t, 8> kSalts = {
    0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0xD6E8FEB86659FD93ULL,
    0xFF51AFD7ED558CCDULL, 0xC4CEB9FE1A85EC53ULL, 0x94D049BB133111EBULL, 0xBF58476D1CE4E5B9ULL};

// The high and low halves of the 128-bit product, folded: every output bit depends on every
// input bit, for one multiply.
inline std::uint64_t Fold(std::uint64_t hash, std::uint64_t salt) {
  const Uint128 product = static_cast<Uint128>(hash) * salt;
  return static_cast<std::uint64_t>(product >> 64) ^ static_cast<std::uint64_t>(product);
}

// Where key's bit i goes: word (base + i * stride) mod W of its W-word block, with an odd
// stride, so a key's k bits land in k distinct words (k <= W) and an add's read-modify-writes
// never touch one word twice (which would stall each on the one before); and a bit of that word
// from a 6-bit field. Both from folded multiplies of the one 64-bit hash.
template <unsigned K>
struct Fields {
  std::uint64_t bit_fields[(K + 9) / 10];
  std::uint32_t base;
  std::uint32_t stride;
  explicit Fields(std::uint64_t hash) {
    const std::uint64_t words = Fold(hash, kSalts[0]);
    base = static_cast<std::uint32_t>(words);
    stride = static_cast<std::uint32_t>(words >> 32) | 1;
    for (unsigned j = 0; j < (K + 9) / 10; ++j) bit_fields[j] = Fold(hash, kSalts[j + 1]);
  }
  std::uint32_t Word(unsigned i, std::uint32_t word_mask) const {
    return (base + i * stride) & word_mask;
  }
  std::uint64_t Bit(unsigned i) const {
    return std::uint64_t{1} << ((bit_fields[i / 10] >> (6 * (i % 10))) & 63);
  }
};

#if defined(__clang__)
#define TREND_UNROLL _Pragma("unroll")
#else
#define TREND_UNROLL _Pragma("GCC unroll 32")
#endif

template <unsigned K>
bool ContainsK(const std::uint64_t* block, std::uint64_t hash, std::uint32_t word_mask) {
  const Fields<K> fields(hash);
  bool all = true;
  TREND_UNROLL
  for (unsigned i = 0; i < K; ++i) {
    const std::uint64_t bit = fields.Bit(i);
    all &= (block[fields.Word(i, word_mask)] & bit) != 0;
  }
  return all;
}

template <unsigned K>
bool AddK(std::uint64_t* block, std::uint64_t hash, std::uint32_t word_mask) {
  const Fields<K> fields(hash);
  bool all = true;
  TREND_UNROLL
  for (unsigned i = 0; i < K; ++i) {
    const std::uint64_t bit = fields.Bit(i);
    std::uint64_t& word = block[fields.Word(i, word_mask)];
    all &= (word & bit) != 0;
    word |= bit;
  }
  return all;
}

template <unsigned K>
bool AddAtomicK(std::uint64_t* block, std::uint64_t hash, std::uint32_t word_mask) {
  const Fields<K> fields(hash);
  bool all = true;
  for (unsigned i = 0; i < K; ++i) {
    const std::uint64_t bit = fields.Bit(i);
    std::atomic_ref<std::uint64_t> word(block[fields.Word(i, word_mask)]);
    all &= (word.fetch_or(bit, std::memory_order_relaxed) & bit) != 0;
  }
  return all;
}

// Many keys through one kernel: key i + kAhead is hashed and its block prefetched while key i
// is probed, so the memory latency of one key overlaps the work on the next ones, and the
// probe is inlined (one indirect call per batch instead of one per key). Returns how many keys
// were new.
constexpr std::size_t kAhead = 16;
// Batches from this many keys are split over two threads (below, starting them costs more).
constexpr std::size_t kParallelKeys = 1 << 16;

struct BlockIndex {
  std::uint64_t* bits;
  std::uint64_t num_blocks;
  std::uint32_t words_per_block;
  std::uint64_t Number(std::uint64_t hash) const {
    return static_cast<std::uint64_t>((static_cast<Uint128>(hash) * num_blocks) >> 64);
  }
  std::uint64_t* operator()(std::uint64_t hash) const {
    return bits + Number(hash) * words_per_block;
  }
};

template <unsigned K, bool kAdd>
std::uint64_t ProbeManyK(const BlockIndex& blocks, std::span<const std::string_view> keys,
                         std::uint8_t* out) {
  constexpr std::size_t kRing = 2 * kAhead;
  std::uint64_t hashes[kRing];
  std::uint64_t* targets[kRing];
  const std::uint32_t mask = blocks.words_per_block - 1;
  const std::uint32_t lines = blocks.words_per_block / 8;
  auto stage = [&](std::size_t i) {
    const std::uint64_t hash = XXH3_64bits(keys[i].data(), keys[i].size());
    std::uint64_t* block = blocks(hash);
    hashes[i % kRing] = hash;
    targets[i % kRing] = block;
    for (std::uint32_t line = 0; line < lines; ++line) {
      __builtin_prefetch(reinterpret_cast<const char*>(block) + 64 * line, kAdd ? 1 : 0);
    }
  };
  const std::size_t n = keys.size();
  for (std::size_t i = 0; i < std::min(n, kAhead); ++i) stage(i);
  std::uint64_t fresh = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) stage(i + kAhead);
    const bool present = kAdd ? AddK<K>(targets[i % kRing], hashes[i % kRing], mask)
                              : ContainsK<K>(targets[i % kRing], hashes[i % kRing], mask);
    out[i] = present ? 1 : 0;
    fresh += present ? 0 : 1;
  }
  return fresh;
}

// Adds the keys whose blocks are first_block .. end_block - 1, in the keys' order, skipping the
// others (every key is hashed to know): two threads given the two halves of the blocks write
// disjoint memory and give the answers and count one thread would, whatever their timing. A
// group of keys is hashed first and this range's kept without a branch (which of the halves a
// key falls in is a coin toss that a branch would mispredict half the time), then added with
// their blocks prefetched ahead.
template <unsigned K>
std::uint64_t AddBlockRangeK(const BlockIndex& blocks, std::span<const std::string_view> keys,
                             std::uint64_t first_block, std::uint64_t end_block,
                             std::uint8_t* out) {
  constexpr std::size_t kGroup = 4096;
  std::uint32_t indexes[kGroup];
  std::uint64_t hashes[kGroup];
  const std::uint32_t mask = blocks.words_per_block - 1;
  const std::uint32_t lines = blocks.words_per_block / 8;
  const std::uint64_t width = end_block - first_block;
  const auto prefetch = [&](std::uint64_t hash) {
    const char* block = reinterpret_cast<const char*>(blocks(hash));
    for (std::uint32_t line = 0; line < lines; ++line) __builtin_prefetch(block + 64 * line, 1);
  };
  std::uint64_t fresh = 0;
  for (std::size_t start = 0; start < keys.size(); start += kGroup) {
    const std::size_t end = std::min(keys.size(), start + kGroup);
    std::size_t kept = 0;
    for (std::size_t i = start; i < end; ++i) {
      const std::uint64_t hash = XXH3_64bits(keys[i].data(), keys[i].size());
      indexes[kept] = static_cast<std::uint32_t>(i - start);
      hashes[kept] = hash;
      kept += blocks.Number(hash) - first_block < width ? 1 : 0;
    }
    for (std::size_t j = 0; j < std::min(kept, kAhead); ++j) prefetch(hashes[j]);
    for (std::size_t j = 0; j < kept; ++j) {
      if (j + kAhead < kept) prefetch(hashes[j + kAhead]);
      const bool present = AddK<K>(blocks(hashes[j]), hashes[j], mask);
      out[start + indexes[j]] = present ? 1 : 0;
      fresh += present ? 0 : 1;
    }
  }
  return fresh;
}

using ContainsFn = bool (*)(const std::uint64_t*, std::uint64_t, std::uint32_t);
using AddFn = bool (*)(std::uint64_t*, std::uint64_t, std::uint32_t);

using ManyFn = std::uint64_t (*)(const BlockIndex&, std::span<const std::string_view>,
                                 std::uint8_t*);
using BlockRangeFn = std::uint64_t (*)(const BlockIndex&, std::span<const std::string_view>,
                                       std::uint64_t, std::uint64_t, std::uint8_t*);

template <std::size_t... I>
constexpr auto MakeKernels(std::index_sequence<I...>) {
  struct Kernels {
    std::array<ContainsFn, sizeof...(I)> contains;
    std::array<AddFn, sizeof...(I)> add;
    std::array<AddFn, sizeof...(I)> add_atomic;
    std::array<ManyFn, sizeof...(I)> contains_many;
    std::array<ManyFn, sizeof...(I)> add_many;
    std::array<BlockRangeFn, sizeof...(I)> add_block_range;
  };
  return Kernels{{&ContainsK<I + 1>...},        {&AddK<I + 1>...},
                 {&AddAtomicK<I + 1>...},       {&ProbeManyK<I + 1, false>...},
                 {&ProbeManyK<I + 1, true>...}, {&AddBlockRangeK<I + 1>...}};
}
constexpr auto kKernels = MakeKernels(std::make_index_sequence<kMaxHashes>());

std::uint64_t Checksum(std::string_view header, const FileBytes& bits) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, header.data(), header.size());
  XXH3_64bits_update(&state, bits.data, bits.size);
  return XXH3_64bits_digest(&state);
}

}  // namespace

std::uint64_t KeyHash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

BloomFilter::BloomFilter(std::uint64_t capacity, double error_rate)
    : capacity_(capacity),
      error_rate_(error_rate),
      layout_(ChooseLayout(capacity, error_rate)),
      bits_(ZeroedBytes(layout_.TotalBits() / 8)) {}

std::uint64_t* BloomFilter::Block(std::uint64_t hash) const {
  return BlockIndex{reinterpret_cast<std::uint64_t*>(bits_.data), layout_.num_blocks,
                    layout_.block_bits / 64}(hash);
}

void BloomFilter::PrefetchHash(std::uint64_t hash) const {
  const char* block = reinterpret_cast<const char*>(Block(hash));
  for (std::uint32_t line = 0; line < layout_.block_bits / 512; ++line) {
    __builtin_prefetch(block + 64 * line, 1);
  }
}

bool BloomFilter::ContainsHash(std::uint64_t hash) const {
  return kKernels.contains[layout_.hashes - 1](Block(hash), hash, layout_.block_bits / 64 - 1);
}

bool BloomFilter::AddHash(std::uint64_t hash) {
  if (count_ >= capacity_) {
    throw CapacityError(fmt::format("BloomFilter is at capacity ({} keys)", capacity_));
  }
  const bool present =
      kKernels.add[layout_.hashes - 1](Block(hash), hash, layout_.block_bits / 64 - 1);
  if (!present) ++count_;
  return present;
}

bool BloomFilter::AddConcurrent(std::string_view key) {
  std::atomic_ref<std::uint64_t> count(count_);
  if (count.load(std::memory_order_relaxed) >= capacity_) {
    throw CapacityError(fmt::format("BloomFilter is at capacity ({} keys)", capacity_));
  }
  const std::uint64_t hash = KeyHash(key);
  const bool present =
      kKernels.add_atomic[layout_.hashes - 1](Block(hash), hash, layout_.block_bits / 64 - 1);
  if (!present) count.fetch_add(1, std::memory_order_relaxed);
  return present;
}

void BloomFilter::AddMany(std::span<const std::string_view> keys,
                          std::span<std::uint8_t> was_present) {
  if (keys.size() > capacity_ - count_) {
    // Some key may find the filter full: one at a time, so it throws at exactly that key.
    for (std::size_t i = 0; i < keys.size(); ++i) was_present[i] = Add(keys[i]) ? 1 : 0;
    return;
  }
  const BlockIndex blocks{reinterpret_cast<std::uint64_t*>(bits_.data), layout_.num_blocks,
                          layout_.block_bits / 64};
  if (keys.size() < kParallelKeys) {
    count_ += kKernels.add_many[layout_.hashes - 1](blocks, keys, was_present.data());
    return;
  }
  // Two threads, each adding the keys of one half of the blocks: a filter far bigger than the
  // cache is bound by how many blocks a core can fetch at once, and two cores fetch twice as
  // many. Keys in one block stay on one thread in their order, so the answers are the same.
  const auto add = kKernels.add_block_range[layout_.hashes - 1];
  const std::uint64_t half = layout_.num_blocks / 2;
  std::uint64_t fresh_low = 0, fresh_high = 0;
  tbb::parallel_invoke(
      [&] { fresh_low = add(blocks, keys, 0, half, was_present.data()); },
      [&] { fresh_high = add(blocks, keys, half, layout_.num_blocks, was_present.data()); });
  count_ += fresh_low + fresh_high;
}

void BloomFilter::ContainsMany(std::span<const std::string_view> keys,
                               std::span<std::uint8_t> present) const {
  const BlockIndex blocks{reinterpret_cast<std::uint64_t*>(bits_.data), layout_.num_blocks,
                          layout_.block_bits / 64};
  const auto contains = kKernels.contains_many[layout_.hashes - 1];
  if (keys.size() < kParallelKeys) {
    contains(blocks, keys, present.data());
    return;
  }
  // Lookups write nothing: each half of the keys on a core of its own.
  const std::size_t half = keys.size() / 2;
  tbb::parallel_invoke([&] { contains(blocks, keys.first(half), present.data()); },
                       [&] { contains(blocks, keys.subspan(half), present.data() + half); });
}

FilterInfo BloomFilter::Info() const {
  FilterInfo info;
  info.kind = "fixed";
  info.format = FileFormat::kNative;
  info.capacity = capacity_;
  info.error_rate = error_rate_;
  info.count = count_;
  info.bits = layout_.TotalBits();
  info.hashes = {layout_.hashes};
  info.block_bits = layout_.block_bits;
  info.expected_false_positive_rate = ExpectedFalsePositiveRate(layout_, count_);
  return info;
}

BloomFilter BloomFilter::Copy() const {
  BloomFilter copy;
  copy.capacity_ = capacity_;
  copy.error_rate_ = error_rate_;
  copy.count_ = count_;
  copy.layout_ = layout_;
  copy.bits_ = ZeroedBytes(bits_.size);
  std::memcpy(copy.bits_.data, bits_.data, bits_.size);
  return copy;
}

void BloomFilter::CheckShape(const BloomFilter& other, const char* operation) const {
  if (capacity_ != other.capacity_ || error_rate_ != other.error_rate_ ||
      !(layout_ == other.layout_)) {
    throw ShapeError(
        fmt::format("{} needs filters of equal capacity and error rate "
                    "({} at {} and {} at {})",
                    operation, capacity_, error_rate_, other.capacity_, other.error_rate_));
  }
}

BloomFilter BloomFilter::Union(const BloomFilter& other) const {
  CheckShape(other, "a union");
  BloomFilter result = Copy();
  auto* out = reinterpret_cast<std::uint64_t*>(result.bits_.data);
  const auto* in = reinterpret_cast<const std::uint64_t*>(other.bits_.data);
  for (std::size_t i = 0; i < bits_.size / 8; ++i) out[i] |= in[i];
  result.count_ = std::max(count_, other.count_);
  return result;
}

BloomFilter BloomFilter::Intersection(const BloomFilter& other) const {
  CheckShape(other, "an intersection");
  BloomFilter result = Copy();
  auto* out = reinterpret_cast<std::uint64_t*>(result.bits_.data);
  const auto* in = reinterpret_cast<const std::uint64_t*>(other.bits_.data);
  for (std::size_t i = 0; i < bits_.size / 8; ++i) out[i] &= in[i];
  result.count_ = std::min(count_, other.count_);
  return result;
}

std::string BloomFilter::Header() const {
  std::string header(kHeaderBytes, '\0');
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  PutField(header, 8, kVersion);
  PutField(header, 12, kKindFixed);
  PutField(header, 16, error_rate_);
  PutField(header, 24, capacity_);
  PutField(header, 32, count_);
  PutField(header, 40, layout_.num_blocks);
  PutField(header, 48, layout_.block_bits);
  PutField(header, 52, layout_.hashes);
  PutField(header, 56, Checksum(std::string_view(header).substr(0, 56), bits_));
  return header;
}

std::string BloomFilter::Serialize() const {
  std::string out;
  out.reserve(SerializedSize());
  AppendSerialized(out);
  return out;
}

void BloomFilter::AppendSerialized(std::string& out) const {
  out += Header();
  out.append(reinterpret_cast<const char*>(bits_.data), bits_.size);
}

void BloomFilter::Save(const std::string& path) const {
  WriteFileAtomically(path, {Header(), bits_.View()});
}

BloomFilter BloomFilter::Load(const std::string& path, bool map) {
  const FileBytes bytes = ReadFileBytes(path, map);
  std::size_t offset = 0;
  BloomFilter filter = Parse(bytes, offset, path);
  if (offset != bytes.size) {
    throw FilterFileError(fmt::format("{}: {} bytes after the filter", path, bytes.size - offset));
  }
  return filter;
}

BloomFilter BloomFilter::Parse(const FileBytes& bytes, std::size_t& offset,
                               const std::string& name) {
  const std::string_view all = bytes.View();
  if (all.size() < offset || all.size() - offset < kHeaderBytes) {
    throw FilterFileError(fmt::format("{}: truncated filter header at byte {}", name, offset));
  }
  const std::string_view header = all.substr(offset, kHeaderBytes);
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    throw FilterFileError(fmt::format("{}: not a Trend Engine filter (byte {})", name, offset));
  }
  if (GetField<std::uint32_t>(header, 8) != kVersion ||
      GetField<std::uint32_t>(header, 12) != kKindFixed) {
    throw FilterFileError(fmt::format("{}: unsupported filter version {} kind {} at byte {}", name,
                                      GetField<std::uint32_t>(header, 8),
                                      GetField<std::uint32_t>(header, 12), offset));
  }
  BloomFilter filter;
  filter.error_rate_ = GetField<double>(header, 16);
  filter.capacity_ = GetField<std::uint64_t>(header, 24);
  filter.count_ = GetField<std::uint64_t>(header, 32);
  filter.layout_.num_blocks = GetField<std::uint64_t>(header, 40);
  filter.layout_.block_bits = GetField<std::uint32_t>(header, 48);
  filter.layout_.hashes = GetField<std::uint32_t>(header, 52);
  const auto& layout = filter.layout_;
  const bool block_ok = layout.block_bits >= 512 && layout.block_bits <= 4096 &&
                        std::has_single_bit(layout.block_bits);
  if (!block_ok || layout.hashes < 1 || layout.hashes > kMaxHashes || layout.num_blocks == 0 ||
      !(filter.error_rate_ > 0 && filter.error_rate_ < 1) || filter.capacity_ == 0 ||
      filter.count_ > filter.capacity_) {
    throw FilterFileError(fmt::format("{}: inconsistent filter header at byte {}", name, offset));
  }
  const std::uint64_t room = (all.size() - offset - kHeaderBytes) / (layout.block_bits / 8);
  if (layout.num_blocks > room) {
    throw FilterFileError(fmt::format("{}: truncated: {} blocks of {} bits announced at byte {}",
                                      name, layout.num_blocks, layout.block_bits, offset));
  }
  const std::size_t bit_bytes = layout.num_blocks * (layout.block_bits / 8);
  filter.bits_ = FileBytes{bytes.owner, bytes.data + offset + kHeaderBytes, bit_bytes};
  if (Checksum(header.substr(0, 56), filter.bits_) != GetField<std::uint64_t>(header, 56)) {
    throw FilterFileError(
        fmt::format("{}: checksum mismatch in the filter at byte {}", name, offset));
  }
  offset += kHeaderBytes + bit_bytes;
  return filter;
}

const char* FormatName(FileFormat format) {
  return format == FileFormat::kNative ? "native" : "pybloom";
}

}  // namespace trend::bloom
