// A filter that grows: a chain of native BloomFilters, each `growth` times the capacity of the
// one before, added to when the newest is full (Almeida et al., "Scalable Bloom Filters", 2007).
//
// Honest accuracy at any size: sub-filter i gets the rate p (1 - r) r^i (r = tightening), so the
// rates of all sub-filters ever made sum to less than p. pybloom-live gives its first filter
// 0.9 p and tightens by 0.9, so its rates sum to about 9 p at the limit and it measures 1.7-1.8 p
// after three filters; its file format is in pybloom_format.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom_filter.hpp"

namespace trend::bloom {

class ScalableBloomFilter final : public MembershipFilter {
 public:
  static constexpr double kDefaultGrowth = 4;
  static constexpr double kDefaultTightening = 0.8;

  // growth >= 2 (an integer, so capacities stay exact), tightening in (0, 1).
  ScalableBloomFilter(std::uint64_t initial_capacity, double error_rate,
                      double growth = kDefaultGrowth, double tightening = kDefaultTightening);

  bool Add(std::string_view key) override { return AddHash(KeyHash(key)); }
  bool Contains(std::string_view key) const override { return ContainsHash(KeyHash(key)); }
  bool AddHash(std::uint64_t hash);
  bool ContainsHash(std::uint64_t hash) const;
  void PrefetchHash(std::uint64_t hash) const;  // in every sub-filter (see BloomFilter's)

  std::uint64_t Count() const override;
  std::uint64_t Capacity() const;
  double error_rate() const { return error_rate_; }
  const std::vector<BloomFilter>& filters() const { return filters_; }
  FilterInfo Info() const override;

  ScalableBloomFilter Copy() const;
  // Filters made with equal parameters: sub-filter by sub-filter, the longer chain's tail kept.
  ScalableBloomFilter Union(const ScalableBloomFilter& other) const;

  void Save(const std::string& path) const override;
  static ScalableBloomFilter Load(const std::string& path, bool map = false);
  // The file's bytes, and back (for a filter kept in a database beside its checkpoint).
  std::string Serialize() const;
  static ScalableBloomFilter Parse(const FileBytes& bytes, const std::string& name);

  static constexpr std::size_t kHeaderBytes = 64;

 private:
  ScalableBloomFilter() = default;
  BloomFilter& Newest();

  std::uint64_t initial_capacity_ = 0;
  double error_rate_ = 0;
  double growth_ = 0;
  double tightening_ = 0;
  std::vector<BloomFilter> filters_;
};

}  // namespace trend::bloom
