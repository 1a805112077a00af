// Trend Engine's own Bloom filter: one 64-bit xxHash per key, every bit of a key in one block
// of adjacent cache lines (layout.hpp), lock-free concurrent adds, and a file with a header and
// a checksum that loads by reading or by mmap.
//
// Semantics follow pybloom-live's BloomFilter: Add says whether the key was probably there
// already, the count grows only for keys found new, and adding to a full filter throws
// CapacityError, since past its capacity the rate asked for no longer holds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bloom/file_bytes.hpp"
#include "bloom/layout.hpp"
#include "bloom/membership_filter.hpp"

namespace trend::bloom {

// XXH3-64 of the key's bytes: the one hash each key costs.
std::uint64_t KeyHash(std::string_view key);

class BloomFilter final : public MembershipFilter {
 public:
  // Throws ShapeError for capacity 0 or an error rate outside [1e-9, 1).
  BloomFilter(std::uint64_t capacity, double error_rate);

  BloomFilter(BloomFilter&&) noexcept = default;
  BloomFilter& operator=(BloomFilter&&) noexcept = default;

  bool Add(std::string_view key) override { return AddHash(KeyHash(key)); }
  bool Contains(std::string_view key) const override { return ContainsHash(KeyHash(key)); }
  bool AddHash(std::uint64_t hash);
  bool ContainsHash(std::uint64_t hash) const;
  // Starts loading the hash's block into the cache: a caller that knows its next keys early
  // hides the memory latency of AddHash/ContainsHash behind its other work.
  void PrefetchHash(std::uint64_t hash) const;

  // Safe against other AddConcurrent and Contains calls from any number of threads: each word
  // is updated with one atomic OR, and the count with one atomic increment.
  bool AddConcurrent(std::string_view key);

  // Many keys at once: hashes a group ahead and prefetches its blocks, so the memory latency
  // of one key overlaps the work on the others. out[i] is Add's / Contains' answer for keys[i].
  void AddMany(std::span<const std::string_view> keys, std::span<std::uint8_t> was_present);
  void ContainsMany(std::span<const std::string_view> keys, std::span<std::uint8_t> present) const;

  std::uint64_t Count() const override { return count_; }
  std::uint64_t capacity() const { return capacity_; }
  double error_rate() const { return error_rate_; }
  const BlockLayout& layout() const { return layout_; }
  std::size_t MemoryBytes() const { return bits_.size; }
  FilterInfo Info() const override;

  BloomFilter Copy() const;
  // Filters of equal capacity and error rate (hence equal layout). The union's count is the
  // larger of the two counts, the intersection's the smaller: lower bounds, as with pybloom-live
  // a Bloom filter cannot tell how many keys the two sets share.
  BloomFilter Union(const BloomFilter& other) const;
  BloomFilter Intersection(const BloomFilter& other) const;

  // The native file: a 64-byte header (magic, layout, capacity, error rate, count, checksum)
  // followed by the bits.
  void Save(const std::string& path) const override;
  std::string Serialize() const;
  // The same bytes appended to `out` (a scalable filter's stages into one buffer, each copied
  // once).
  void AppendSerialized(std::string& out) const;
  std::size_t SerializedSize() const { return kHeaderBytes + bits_.size; }
  // Reads (map = false) or maps (map = true) a native fixed-filter file; FilterFileError on a
  // wrong magic, a truncated file or a checksum that does not match.
  static BloomFilter Load(const std::string& path, bool map = false);
  // A filter record inside a larger buffer (a scalable filter's file): `offset` on input is
  // where it starts, on output just past it. The filter's bits stay in `bytes`.
  static BloomFilter Parse(const FileBytes& bytes, std::size_t& offset, const std::string& name);

  static constexpr std::size_t kHeaderBytes = 64;

 private:
  BloomFilter() = default;
  void CheckShape(const BloomFilter& other, const char* operation) const;
  std::uint64_t* Block(std::uint64_t hash) const;
  std::string Header() const;

  std::uint64_t capacity_ = 0;
  double error_rate_ = 0;
  std::uint64_t count_ = 0;
  BlockLayout layout_;
  FileBytes bits_;
};

}  // namespace trend::bloom
