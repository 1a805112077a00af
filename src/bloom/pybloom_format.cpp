#include "bloom/pybloom_format.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bloom/bloom_error.hpp"
#include "bloom/file_fields.hpp"
#include "bloom/sha256_blocks.hpp"
#include "bloom/sha512_lanes.hpp"

namespace trend::bloom {
namespace {

std::string Sha(const EVP_MD* md, std::string_view a, std::string_view b) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool ok = context != nullptr && EVP_DigestInit_ex(context, md, nullptr) == 1 &&
                  EVP_DigestUpdate(context, a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(context, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(context, out, &length) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) throw std::runtime_error("OpenSSL digest failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

// Python's xxhash.xxh128().digest(): the canonical (big-endian) form of the 128-bit hash.
std::string Xxh128(std::string_view a, std::string_view b) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  XXH3_128bits_update(&state, a.data(), a.size());
  XXH3_128bits_update(&state, b.data(), b.size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(&state));
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest);
}

// BloomFilter.__init__'s checks, before anything is sized from the arguments.
double CheckedRate(std::uint64_t capacity, double error_rate) {
  if (!(error_rate > 0 && error_rate < 1)) {
    throw ShapeError(fmt::format("error rate {} must be between 0 and 1", error_rate));
  }
  if (capacity == 0) throw ShapeError("capacity must be > 0");
  return error_rate;
}

// BloomFilter.__init__: k = ceil(log(1/p, 2)), m = ceil(n |ln p| / (k ln(2)^2)), computed with
// the same double operations as CPython (math.log(x, 2) is log(x) / log(2)).
std::uint64_t SlicesFor(double error_rate) {
  return static_cast<std::uint64_t>(std::ceil(std::log(1.0 / error_rate) / std::log(2.0)));
}
std::uint64_t BitsPerSliceFor(std::uint64_t capacity, double error_rate, std::uint64_t slices) {
  return static_cast<std::uint64_t>(
      std::ceil((static_cast<double>(capacity) * std::abs(std::log(error_rate))) /
                (static_cast<double>(slices) * std::pow(std::log(2.0), 2.0))));
}

}  // namespace

PybloomHashing::PybloomHashing(std::uint64_t num_slices, std::uint64_t bits_per_slice)
    : num_slices_(num_slices), bits_per_slice_(bits_per_slice) {
  chunk_bytes_ = bits_per_slice >= (std::uint64_t{1} << 31)   ? 8
                 : bits_per_slice >= (std::uint64_t{1} << 15) ? 4
                                                              : 2;
  if (chunk_bytes_ <= 4) remainder_magic_ = UINT64_MAX / bits_per_slice + 1;
  const std::uint64_t total_bits = 8 * num_slices * chunk_bytes_;
  digest_ = total_bits > 384   ? Digest::kSha512
            : total_bits > 256 ? Digest::kSha384
            : total_bits > 160 ? Digest::kSha256
            : total_bits > 128 ? Digest::kSha1
                               : Digest::kXxh128;
  const std::size_t digest_bytes = DigestOf("", "").size();
  values_per_digest_ = static_cast<unsigned>(digest_bytes / chunk_bytes_);
  const std::uint64_t salts = (num_slices + values_per_digest_ - 1) / values_per_digest_;
  for (std::uint32_t i = 0; i < salts; ++i) {
    char packed[4];
    std::memcpy(packed, &i, 4);  // struct.pack('I', i)
    salt_prefixes_.push_back(DigestOf("", std::string_view(packed, 4)));
  }
  if (digest_ != Digest::kXxh128) salt_contexts_ = std::make_shared<const SaltContexts>(*this);
  // SHA-256 always takes one salt: it is chosen only while one digest gives every slice.
  sha_extensions_ = digest_ == Digest::kSha256 && salts == 1 && HasSha256Extensions();
  sha512_lanes_ =
      (digest_ == Digest::kSha384 || digest_ == Digest::kSha512) && salts == 1 && HasAvx512Lanes();
}

// One hash state per salt with the salt's prefix absorbed; a key's digest copies it (a plain
// struct copy) and adds the key. OpenSSL's one-shot SHA functions are deprecated in 3.0 in
// favour of EVP, but EVP's context copy costs more than the hash of a short key here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct PybloomHashing::SaltContexts {
  explicit SaltContexts(const PybloomHashing& h) : digest(h.digest_) {
    for (const std::string& prefix : h.salt_prefixes_) {
      State state{};
      switch (digest) {
        case Digest::kSha1:
          SHA1_Init(&state.sha1);
          SHA1_Update(&state.sha1, prefix.data(), prefix.size());
          break;
        case Digest::kSha256:
          SHA256_Init(&state.sha256);
          SHA256_Update(&state.sha256, prefix.data(), prefix.size());
          break;
        case Digest::kSha384:
          SHA384_Init(&state.sha512);
          SHA384_Update(&state.sha512, prefix.data(), prefix.size());
          break;
        case Digest::kSha512:
          SHA512_Init(&state.sha512);
          SHA512_Update(&state.sha512, prefix.data(), prefix.size());
          break;
        case Digest::kXxh128:
          break;
      }
      states.push_back(state);
    }
  }
  union State {
    SHA_CTX sha1;
    SHA256_CTX sha256;
    SHA512_CTX sha512;  // SHA-384 too
  };
  Digest digest;
  std::vector<State> states;
};

unsigned PybloomHashing::SaltedDigest(std::size_t salt, std::string_view key,
                                      unsigned char* out) const {
  if (digest_ == Digest::kXxh128) {
    const std::string& prefix = salt_prefixes_[salt];
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    XXH3_128bits_update(&state, prefix.data(), prefix.size());
    XXH3_128bits_update(&state, key.data(), key.size());
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(&state));
    std::memcpy(out, canonical.digest, sizeof canonical.digest);
    return sizeof canonical.digest;
  }
  SaltContexts::State state = salt_contexts_->states[salt];
  switch (digest_) {
    case Digest::kSha1:
      SHA1_Update(&state.sha1, key.data(), key.size());
      SHA1_Final(out, &state.sha1);
      return SHA_DIGEST_LENGTH;
    case Digest::kSha256:
      SHA256_Update(&state.sha256, key.data(), key.size());
      SHA256_Final(out, &state.sha256);
      return SHA256_DIGEST_LENGTH;
    case Digest::kSha384:
      SHA384_Update(&state.sha512, key.data(), key.size());
      SHA384_Final(out, &state.sha512);
      return SHA384_DIGEST_LENGTH;
    case Digest::kSha512:
      SHA512_Update(&state.sha512, key.data(), key.size());
      SHA512_Final(out, &state.sha512);
      return SHA512_DIGEST_LENGTH;
    case Digest::kXxh128:
      break;
  }
  return 0;
}
#pragma GCC diagnostic pop

std::string PybloomHashing::DigestOf(std::string_view prefix, std::string_view key) const {
  switch (digest_) {
    case Digest::kXxh128:
      return Xxh128(prefix, key);
    case Digest::kSha1:
      return Sha(EVP_sha1(), prefix, key);
    case Digest::kSha256:
      return Sha(EVP_sha256(), prefix, key);
    case Digest::kSha384:
      return Sha(EVP_sha384(), prefix, key);
    case Digest::kSha512:
      return Sha(EVP_sha512(), prefix, key);
  }
  return {};
}

__extension__ using Uint128 = unsigned __int128;

// The offsets a digest gives, for slices first, first + 1, ... while it lasts.
std::uint64_t PybloomHashing::DigestOffsets(const unsigned char* digest, std::uint64_t first,
                                            std::uint64_t* out) const {
  std::uint64_t produced = first;
  for (unsigned v = 0; v < values_per_digest_ && produced < num_slices_; ++v, ++produced) {
    // Fixed-size copies: one of a variable size is a call to memcpy per slice.
    const unsigned char* chunk = digest + v * chunk_bytes_;
    std::uint64_t value = 0;
    if (chunk_bytes_ == 4) {
      std::uint32_t word = 0;
      std::memcpy(&word, chunk, 4);
      value = word;
    } else if (chunk_bytes_ == 2) {
      std::uint16_t half = 0;
      std::memcpy(&half, chunk, 2);
      value = half;
    } else {
      std::memcpy(&value, chunk, 8);
    }
    if (remainder_magic_ != 0) {
      const std::uint64_t low = remainder_magic_ * value;
      out[produced] =
          static_cast<std::uint64_t>((static_cast<Uint128>(low) * bits_per_slice_) >> 64);
    } else {
      out[produced] = value % bits_per_slice_;
    }
  }
  return produced;
}

bool PybloomHashing::FitsShaBlock(std::string_view key) const {
  return sha_extensions_ && salt_prefixes_[0].size() + key.size() <= kSha256OneBlockMessage;
}

void PybloomHashing::Offsets(std::string_view key, std::uint64_t* out) const {
  // One key at a time, OpenSSL's SHA-256 is as fast as ours: the extensions pay in pairs.
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::uint64_t produced = 0;
  for (std::size_t salt = 0; salt < salt_prefixes_.size(); ++salt) {
    SaltedDigest(salt, key, digest);
    produced = DigestOffsets(digest, produced, out);
  }
}

void PybloomHashing::OffsetsMany(std::span<const std::string_view> keys, std::uint64_t* out) const {
  std::size_t i = 0;
  if (sha512_lanes_) {
    const Sha512Variant variant =
        digest_ == Digest::kSha384 ? Sha512Variant::kSha384 : Sha512Variant::kSha512;
    const std::size_t room = kSha512OneBlockMessage - salt_prefixes_[0].size();
    for (; i + kSha512Lanes <= keys.size(); i += kSha512Lanes) {
      const auto group = keys.subspan(i, kSha512Lanes);
      if (std::all_of(group.begin(), group.end(), [room](auto k) { return k.size() <= room; })) {
        unsigned char digests[kSha512Lanes][64];
        unsigned char* outs[kSha512Lanes];
        for (std::size_t lane = 0; lane < kSha512Lanes; ++lane) outs[lane] = digests[lane];
        Sha512OneBlockLanes(variant, salt_prefixes_[0], group.data(), outs);
        for (std::size_t lane = 0; lane < kSha512Lanes; ++lane)
          DigestOffsets(digests[lane], 0, out + (i + lane) * num_slices_);
      } else {
        for (std::size_t lane = 0; lane < kSha512Lanes; ++lane)
          Offsets(keys[i + lane], out + (i + lane) * num_slices_);
      }
    }
  }
  for (; i + 1 < keys.size(); i += 2) {
    if (FitsShaBlock(keys[i]) && FitsShaBlock(keys[i + 1])) {
      unsigned char digest_a[32];
      unsigned char digest_b[32];
      Sha256OneBlockPair(salt_prefixes_[0], keys[i], keys[i + 1], digest_a, digest_b);
      DigestOffsets(digest_a, 0, out + i * num_slices_);
      DigestOffsets(digest_b, 0, out + (i + 1) * num_slices_);
    } else {
      Offsets(keys[i], out + i * num_slices_);
      Offsets(keys[i + 1], out + (i + 1) * num_slices_);
    }
  }
  if (i < keys.size()) Offsets(keys[i], out + i * num_slices_);
}

namespace {

constexpr std::size_t kMaxSlices = 64;  // Parse refuses more; SlicesFor gives 1..53
// Keys per round of parallel hashing: bounds the offsets buffer (block x slices x 8 bytes).
constexpr std::size_t kBatchBlock = 1 << 15;
// Below this many keys a batch is hashed on the calling thread: TBB's start-up costs more.
constexpr std::size_t kParallelMinimum = 2048;

// The offsets of every key (key i's slices at i x slices), hashed on every core.
void HashBlock(const PybloomHashing& hashing, std::span<const std::string_view> keys,
               std::vector<std::uint64_t>& offsets) {
  const std::size_t slices = hashing.num_slices();
  offsets.resize(keys.size() * slices);
  const auto hash_range = [&](std::size_t begin, std::size_t end) {
    hashing.OffsetsMany(keys.subspan(begin, end - begin), &offsets[begin * slices]);
  };
  if (keys.size() < kParallelMinimum) {
    hash_range(0, keys.size());
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, keys.size(), 512),
      [&](const tbb::blocked_range<std::size_t>& r) { hash_range(r.begin(), r.end()); });
}

}  // namespace

// ---- PybloomFilter -------------------------------------------------------------------------

PybloomFilter::PybloomFilter(std::uint64_t capacity, double error_rate)
    : PybloomFilter(error_rate, SlicesFor(CheckedRate(capacity, error_rate)),
                    BitsPerSliceFor(capacity, error_rate, SlicesFor(error_rate)), capacity, 0) {}

PybloomFilter::PybloomFilter(double error_rate, std::uint64_t num_slices,
                             std::uint64_t bits_per_slice, std::uint64_t capacity,
                             std::uint64_t count)
    : error_rate_(error_rate),
      num_slices_(num_slices),
      bits_per_slice_(bits_per_slice),
      capacity_(capacity),
      count_(count),
      hashing_(num_slices, bits_per_slice),
      bits_((num_slices * bits_per_slice + 7) / 8, '\0') {}

bool PybloomFilter::SetBits(const std::uint64_t* offsets) {
  bool found_all = true;
  std::uint64_t slice_start = 0;
  for (std::uint64_t slice = 0; slice < num_slices_; ++slice, slice_start += bits_per_slice_) {
    const std::uint64_t bit = slice_start + offsets[slice];
    auto& byte = reinterpret_cast<unsigned char&>(bits_[bit >> 3]);
    const auto mask = static_cast<unsigned char>(1u << (bit & 7));
    if ((byte & mask) == 0) found_all = false;
    byte |= mask;
  }
  return found_all;
}

bool PybloomFilter::TestBits(const std::uint64_t* offsets) const {
  std::uint64_t slice_start = 0;
  for (std::uint64_t slice = 0; slice < num_slices_; ++slice, slice_start += bits_per_slice_) {
    const std::uint64_t bit = slice_start + offsets[slice];
    if ((static_cast<unsigned char>(bits_[bit >> 3]) & (1u << (bit & 7))) == 0) return false;
  }
  return true;
}

bool PybloomFilter::Add(std::string_view key) {
  if (count_ >= capacity_) throw CapacityError("BloomFilter is at capacity");
  std::uint64_t offsets[kMaxSlices];
  hashing_.Offsets(key, offsets);
  const bool found_all = SetBits(offsets);
  if (!found_all) ++count_;
  return found_all;
}

void PybloomFilter::AddUnchecked(std::string_view key) {
  if (count_ >= capacity_) throw CapacityError("BloomFilter is at capacity");
  std::uint64_t offsets[kMaxSlices];
  hashing_.Offsets(key, offsets);
  SetBits(offsets);
  ++count_;
}

bool PybloomFilter::Contains(std::string_view key) const {
  std::uint64_t offsets[kMaxSlices];
  hashing_.Offsets(key, offsets);
  return TestBits(offsets);
}

std::uint64_t PybloomFilter::AddMany(std::span<const std::string_view> keys) {
  std::uint64_t present = 0;
  std::vector<std::uint64_t> offsets;
  for (std::size_t first = 0; first < keys.size(); first += kBatchBlock) {
    const auto block = keys.subspan(first, std::min(kBatchBlock, keys.size() - first));
    HashBlock(hashing_, block, offsets);
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (count_ >= capacity_) throw CapacityError("BloomFilter is at capacity");
      if (SetBits(&offsets[i * num_slices_])) {
        ++present;
      } else {
        ++count_;
      }
    }
  }
  return present;
}

void PybloomFilter::ContainsMany(std::span<const std::string_view> keys, bool* found) const {
  std::vector<std::uint64_t> offsets;
  for (std::size_t first = 0; first < keys.size(); first += kBatchBlock) {
    const auto block = keys.subspan(first, std::min(kBatchBlock, keys.size() - first));
    HashBlock(hashing_, block, offsets);
    for (std::size_t i = 0; i < block.size(); ++i) {
      found[first + i] = TestBits(&offsets[i * num_slices_]);
    }
  }
}

FilterInfo PybloomFilter::Info() const {
  FilterInfo info;
  info.kind = "fixed";
  info.format = FileFormat::kPybloom;
  info.capacity = capacity_;
  info.error_rate = error_rate_;
  info.count = count_;
  info.bits = num_slices_ * bits_per_slice_;
  info.hashes = {static_cast<std::uint32_t>(num_slices_)};
  // Each slice holds one bit per key: the chance a slice's bit is set is 1 - (1 - 1/m)^n.
  info.expected_false_positive_rate =
      std::pow(-std::expm1(static_cast<double>(count_) *
                           std::log1p(-1.0 / static_cast<double>(bits_per_slice_))),
               static_cast<double>(num_slices_));
  return info;
}

PybloomFilter PybloomFilter::Copy() const {
  return *this;
}

void PybloomFilter::CheckShape(const PybloomFilter& other, const char* operation) const {
  if (capacity_ != other.capacity_ || error_rate_ != other.error_rate_ ||
      bits_.size() != other.bits_.size()) {
    throw ShapeError(
        fmt::format("{} needs filters with both the same capacity and error rate", operation));
  }
}

PybloomFilter PybloomFilter::Union(const PybloomFilter& other) const {
  CheckShape(other, "a union");
  PybloomFilter result = *this;
  for (std::size_t i = 0; i < bits_.size(); ++i) result.bits_[i] |= other.bits_[i];
  return result;
}

PybloomFilter PybloomFilter::Intersection(const PybloomFilter& other) const {
  CheckShape(other, "an intersection");
  PybloomFilter result = *this;
  for (std::size_t i = 0; i < bits_.size(); ++i) result.bits_[i] &= other.bits_[i];
  return result;
}

std::string PybloomFilter::Serialize() const {
  std::string out;
  out.reserve(kHeaderBytes + bits_.size());
  AppendField(out, error_rate_);
  AppendField(out, num_slices_);
  AppendField(out, bits_per_slice_);
  AppendField(out, capacity_);
  AppendField(out, count_);
  out += bits_;
  return out;
}

void PybloomFilter::Save(const std::string& path) const {
  WriteFileAtomically(path, {Serialize()});
}

PybloomFilter PybloomFilter::Load(const std::string& path) {
  const FileBytes bytes = ReadFileBytes(path, false);
  return Parse(bytes.View(), 0, bytes.size, path);
}

PybloomFilter PybloomFilter::Parse(std::string_view bytes, std::size_t offset, std::size_t length,
                                   const std::string& name) {
  if (offset > bytes.size() || length > bytes.size() - offset || length < kHeaderBytes) {
    throw FilterFileError(
        fmt::format("{}: truncated pybloom-live filter at byte {}", name, offset));
  }
  const std::string_view record = bytes.substr(offset, length);
  const auto error_rate = GetField<double>(record, 0);
  const auto slices = GetField<std::uint64_t>(record, 8);
  const auto bits_per_slice = GetField<std::uint64_t>(record, 16);
  const auto capacity = GetField<std::uint64_t>(record, 24);
  const auto count = GetField<std::uint64_t>(record, 32);
  // pybloom-live checks nothing here but the bit length; we refuse what no filter it makes
  // could hold, before allocating anything from the header's numbers.
  if (!(error_rate > 0 && error_rate < 1) || slices == 0 || slices > 64 || bits_per_slice == 0 ||
      bits_per_slice > (std::uint64_t{1} << 56) / slices) {
    throw FilterFileError(
        fmt::format("{}: not a pybloom-live BloomFilter (header at byte {})", name, offset));
  }
  const std::uint64_t num_bits = slices * bits_per_slice;
  const std::uint64_t body_bits = (length - kHeaderBytes) * 8;
  // BloomFilter.fromfile accepts the exact bit count or the count padded to whole bytes.
  if (body_bits != num_bits && body_bits != num_bits + (8 - num_bits % 8)) {
    throw FilterFileError(
        fmt::format("{}: bit length mismatch: the header says {} bits, the "
                    "file holds {} (at byte {})",
                    name, num_bits, body_bits, offset));
  }
  PybloomFilter filter(error_rate, slices, bits_per_slice, capacity, count);
  filter.bits_.assign(record.substr(kHeaderBytes));
  return filter;
}

// ---- PybloomScalableFilter -----------------------------------------------------------------

PybloomScalableFilter::PybloomScalableFilter(std::uint64_t initial_capacity, double error_rate,
                                             std::int32_t mode)
    : scale_(mode), initial_capacity_(initial_capacity), error_rate_(error_rate) {
  if (!(error_rate > 0)) throw ShapeError("error rate must be > 0");
  if (initial_capacity == 0) throw ShapeError("initial capacity must be > 0");
  if (mode < 2) throw ShapeError("mode (growth) must be at least 2");
}

bool PybloomScalableFilter::Contains(std::string_view key) const {
  for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) {
    if (it->Contains(key)) return true;
  }
  return false;
}

bool PybloomScalableFilter::Add(std::string_view key) {
  if (Contains(key)) return true;
  if (filters_.empty()) {
    filters_.emplace_back(initial_capacity_, error_rate_ * ratio_);
  } else if (filters_.back().Count() >= filters_.back().capacity()) {
    const PybloomFilter& full = filters_.back();
    filters_.emplace_back(full.capacity() * static_cast<std::uint64_t>(scale_),
                          full.error_rate() * ratio_);
  }
  filters_.back().AddUnchecked(key);
  return false;
}

std::uint64_t PybloomScalableFilter::Count() const {
  std::uint64_t count = 0;
  for (const auto& filter : filters_) count += filter.Count();
  return count;
}

std::uint64_t PybloomScalableFilter::Capacity() const {
  std::uint64_t capacity = 0;
  for (const auto& filter : filters_) capacity += filter.capacity();
  return capacity;
}

FilterInfo PybloomScalableFilter::Info() const {
  return ChainInfo(filters_, FileFormat::kPybloom, error_rate_, scale_, ratio_);
}

PybloomScalableFilter PybloomScalableFilter::Union(const PybloomScalableFilter& other) const {
  if (scale_ != other.scale_ || initial_capacity_ != other.initial_capacity_ ||
      error_rate_ != other.error_rate_) {
    throw ShapeError(
        "a union of scalable filters needs both filters to have the same mode, "
        "initial capacity and error rate");
  }
  const bool this_longer = filters_.size() > other.filters_.size();
  PybloomScalableFilter result = this_longer ? *this : other;
  const PybloomScalableFilter& shorter = this_longer ? other : *this;
  for (std::size_t i = 0; i < shorter.filters_.size(); ++i) {
    result.filters_[i] = result.filters_[i].Union(shorter.filters_[i]);
  }
  return result;
}

std::string PybloomScalableFilter::Serialize() const {
  std::string out;
  AppendField(out, scale_);
  AppendField(out, ratio_);
  AppendField(out, initial_capacity_);
  AppendField(out, error_rate_);
  AppendField(out, static_cast<std::int32_t>(filters_.size()));
  std::vector<std::string> records;
  for (const auto& filter : filters_) {
    records.push_back(filter.Serialize());
    AppendField(out, static_cast<std::uint64_t>(records.back().size()));
  }
  for (const auto& record : records) out += record;
  return out;
}

void PybloomScalableFilter::Save(const std::string& path) const {
  WriteFileAtomically(path, {Serialize()});
}

PybloomScalableFilter PybloomScalableFilter::Load(const std::string& path) {
  const FileBytes bytes = ReadFileBytes(path, false);
  return Parse(bytes.View(), path);
}

PybloomScalableFilter PybloomScalableFilter::Parse(std::string_view bytes,
                                                   const std::string& name) {
  if (bytes.size() < kHeaderBytes + 4) {
    throw FilterFileError(fmt::format("{}: truncated pybloom-live ScalableBloomFilter", name));
  }
  PybloomScalableFilter filter;
  filter.scale_ = GetField<std::int32_t>(bytes, 0);
  filter.ratio_ = GetField<double>(bytes, 4);
  filter.initial_capacity_ = GetField<std::uint64_t>(bytes, 12);
  filter.error_rate_ = GetField<double>(bytes, 20);
  const auto count = GetField<std::int32_t>(bytes, 28);
  if (filter.scale_ < 2 || !(filter.ratio_ > 0 && filter.ratio_ < 1) ||
      filter.initial_capacity_ == 0 || !(filter.error_rate_ > 0 && filter.error_rate_ < 1) ||
      count < 0 || static_cast<std::size_t>(count) > (bytes.size() - 32) / 8) {
    throw FilterFileError(
        fmt::format("{}: not a pybloom-live ScalableBloomFilter (inconsistent header)", name));
  }
  std::size_t offset = 32 + 8 * static_cast<std::size_t>(count);
  for (std::int32_t i = 0; i < count; ++i) {
    const auto length = GetField<std::uint64_t>(bytes, 32 + 8 * static_cast<std::size_t>(i));
    if (length > bytes.size() - offset) {
      throw FilterFileError(
          fmt::format("{}: sub-filter {} runs past the end of the file", name, i));
    }
    filter.filters_.push_back(PybloomFilter::Parse(bytes, offset, length, name));
    offset += length;
  }
  if (offset != bytes.size()) {
    throw FilterFileError(
        fmt::format("{}: {} bytes after the last sub-filter", name, bytes.size() - offset));
  }
  return filter;
}

}  // namespace trend::bloom
