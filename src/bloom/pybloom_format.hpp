// pybloom-live's BloomFilter and ScalableBloomFilter (4.0.0, the version that hashes with xxh128
// and SHA), bit for bit: the same sizes from (capacity, error rate), the same bit positions for
// a key, the same add/count semantics and the same `tofile` format. A filter written by a
// Python service loads here and answers exactly as it does there, and the other way round.
//
// These are for interchange; the native filters (bloom_filter.hpp) are much faster and, for
// the scalable kind, accurate.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/file_bytes.hpp"
#include "bloom/membership_filter.hpp"

namespace trend::bloom {

// How pybloom-live turns a key into k bit offsets: the digest (xxh128 while 128 bits suffice,
// then SHA-1, SHA-256, SHA-384, SHA-512) of a per-salt prefix and the key, cut into 2-, 4- or
// 8-byte little-endian integers, each taken modulo the slice size.
class PybloomHashing {
 public:
  PybloomHashing(std::uint64_t num_slices, std::uint64_t bits_per_slice);
  // Writes the key's offset within each slice, slice 0 first, into out[0 .. num_slices).
  void Offsets(std::string_view key, std::uint64_t* out) const;
  // Offsets of every key, key i's at out[i * num_slices]: two keys at a time where the CPU's
  // SHA extensions can interleave them.
  void OffsetsMany(std::span<const std::string_view> keys, std::uint64_t* out) const;
  std::uint64_t num_slices() const { return num_slices_; }

 private:
  enum class Digest { kXxh128, kSha1, kSha256, kSha384, kSha512 };
  std::string DigestOf(std::string_view prefix, std::string_view key) const;
  // The digest of salt `salt`'s prefix followed by `key`, into `out` (64 bytes); its length.
  // The SHA kinds start from a context that has already absorbed the prefix.
  unsigned SaltedDigest(std::size_t salt, std::string_view key, unsigned char* out) const;
  std::uint64_t DigestOffsets(const unsigned char* digest, std::uint64_t first,
                              std::uint64_t* out) const;
  // True when key's digest is SHA-256 of one block, done with the SHA extensions.
  bool FitsShaBlock(std::string_view key) const;
  struct SaltContexts;  // OpenSSL contexts per salt, shared by copies (read only)

  std::uint64_t num_slices_;
  std::uint64_t bits_per_slice_;
  Digest digest_;
  unsigned chunk_bytes_;        // 2, 4 or 8
  unsigned values_per_digest_;  // digest size / chunk
  // value % bits_per_slice_ by multiplication (Lemire, Kaser and Kurz, "Faster remainder by
  // direct computation", 2019): exact for 32-bit values and divisors, which is every chunk but
  // the 8-byte one; 0 when the chunks are 8 bytes and the division stays.
  std::uint64_t remainder_magic_ = 0;
  bool sha_extensions_ = false;  // SHA-256 by sha256_blocks.hpp, where keys fit one block
  bool sha512_lanes_ = false;    // SHA-384/512 by sha512_lanes.hpp, where keys fit one block
  std::vector<std::string> salt_prefixes_;
  std::shared_ptr<const SaltContexts> salt_contexts_;
};

class PybloomFilter final : public MembershipFilter {
 public:
  PybloomFilter(std::uint64_t capacity, double error_rate = 0.001);

  bool Add(std::string_view key) override;
  // Sets the key's bits without testing them first (as pybloom-live's add(key, skip_check)).
  void AddUnchecked(std::string_view key);
  bool Contains(std::string_view key) const override;
  // Add and Contains over many keys, with the same results as one call per key in order: the
  // keys are hashed on every core, then their bits are set (or tested) in order. AddMany
  // returns how many keys were (probably) there already; at capacity it throws having added
  // the keys before the one that did not fit, as a loop of Add would.
  std::uint64_t AddMany(std::span<const std::string_view> keys);
  void ContainsMany(std::span<const std::string_view> keys, bool* found) const;
  std::uint64_t Count() const override { return count_; }
  std::uint64_t capacity() const { return capacity_; }
  double error_rate() const { return error_rate_; }
  std::uint64_t num_slices() const { return num_slices_; }
  std::uint64_t bits_per_slice() const { return bits_per_slice_; }
  FilterInfo Info() const override;

  PybloomFilter Copy() const;
  // As pybloom-live: equal capacity and error rate; the result keeps this filter's count.
  PybloomFilter Union(const PybloomFilter& other) const;
  PybloomFilter Intersection(const PybloomFilter& other) const;

  std::string Serialize() const;  // exactly what BloomFilter.tofile writes
  void Save(const std::string& path) const override;
  static PybloomFilter Load(const std::string& path);
  // The filter record of `length` bytes at `offset` of `bytes`.
  static PybloomFilter Parse(std::string_view bytes, std::size_t offset, std::size_t length,
                             const std::string& name);

  static constexpr std::size_t kHeaderBytes = 40;  // '<dQQQQ'

 private:
  PybloomFilter(double error_rate, std::uint64_t num_slices, std::uint64_t bits_per_slice,
                std::uint64_t capacity, std::uint64_t count);
  void CheckShape(const PybloomFilter& other, const char* operation) const;
  // Sets the bits at offsets[0 .. num_slices); true when all were set already.
  bool SetBits(const std::uint64_t* offsets);
  bool TestBits(const std::uint64_t* offsets) const;

  double error_rate_;
  std::uint64_t num_slices_;
  std::uint64_t bits_per_slice_;
  std::uint64_t capacity_;
  std::uint64_t count_;
  PybloomHashing hashing_;
  std::string bits_;  // bitarray, little-endian bit order, padded to whole bytes
};

class PybloomScalableFilter final : public MembershipFilter {
 public:
  static constexpr std::int32_t kSmallSetGrowth = 2;
  static constexpr std::int32_t kLargeSetGrowth = 4;

  explicit PybloomScalableFilter(std::uint64_t initial_capacity = 100, double error_rate = 0.001,
                                 std::int32_t mode = kLargeSetGrowth);

  bool Add(std::string_view key) override;
  bool Contains(std::string_view key) const override;
  std::uint64_t Count() const override;
  std::uint64_t Capacity() const;
  const std::vector<PybloomFilter>& filters() const { return filters_; }
  FilterInfo Info() const override;

  PybloomScalableFilter Union(const PybloomScalableFilter& other) const;

  std::string Serialize() const;  // exactly what ScalableBloomFilter.tofile writes
  void Save(const std::string& path) const override;
  static PybloomScalableFilter Load(const std::string& path);
  static PybloomScalableFilter Parse(std::string_view bytes, const std::string& name);

  static constexpr std::size_t kHeaderBytes = 28;  // '<idQd'

 private:
  std::int32_t scale_;
  double ratio_ = 0.9;
  std::uint64_t initial_capacity_;
  double error_rate_;
  std::vector<PybloomFilter> filters_;
};

}  // namespace trend::bloom
