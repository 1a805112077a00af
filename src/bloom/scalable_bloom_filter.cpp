#include "bloom/scalable_bloom_filter.hpp"

#include <fmt/format.h>
#include <bit>
#include <cmath>
#include <cstring>

#include "bloom/bloom_error.hpp"
#include "bloom/file_fields.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace trend::bloom {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'B', 'L', 'O', 'O', 'M', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kKindScalable = 2;

void CheckParameters(std::uint64_t initial_capacity, double error_rate, double growth,
                     double tightening) {
  if (initial_capacity == 0) throw ShapeError("initial capacity must be at least 1");
  if (!(error_rate >= kMinErrorRate && error_rate < 1)) {
    throw ShapeError(fmt::format("error rate {} is outside [{}, 1)", error_rate, kMinErrorRate));
  }
  if (!(growth >= 2 && growth <= 64 && growth == std::floor(growth))) {
    throw ShapeError(fmt::format("growth {} must be a whole number from 2 to 64", growth));
  }
  if (!(tightening > 0 && tightening < 1)) {
    throw ShapeError(fmt::format("tightening {} is outside (0, 1)", tightening));
  }
}

}  // namespace

ScalableBloomFilter::ScalableBloomFilter(std::uint64_t initial_capacity, double error_rate,
                                         double growth, double tightening)
    : initial_capacity_(initial_capacity),
      error_rate_(error_rate),
      growth_(growth),
      tightening_(tightening) {
  CheckParameters(initial_capacity, error_rate, growth, tightening);
}

BloomFilter& ScalableBloomFilter::Newest() {
  if (filters_.empty()) {
    filters_.emplace_back(initial_capacity_, error_rate_ * (1 - tightening_));
  } else if (filters_.back().Count() >= filters_.back().capacity()) {
    const BloomFilter& full = filters_.back();
    const auto factor = static_cast<std::uint64_t>(growth_);
    if (full.capacity() > UINT64_MAX / factor) {
      throw CapacityError("ScalableBloomFilter cannot grow past 2^64 keys");
    }
    const double rate = full.error_rate() * tightening_;
    if (rate < kMinErrorRate) {
      throw CapacityError(
          fmt::format("ScalableBloomFilter: a new sub-filter would need an error "
                      "rate of {}, below {}",
                      rate, kMinErrorRate));
    }
    filters_.emplace_back(full.capacity() * factor, rate);
  }
  return filters_.back();
}

bool ScalableBloomFilter::ContainsHash(std::uint64_t hash) const {
  for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) {
    if (it->ContainsHash(hash)) return true;
  }
  return false;
}

void ScalableBloomFilter::PrefetchHash(std::uint64_t hash) const {
  for (const auto& filter : filters_) filter.PrefetchHash(hash);
}

bool ScalableBloomFilter::AddHash(std::uint64_t hash) {
  if (ContainsHash(hash)) return true;
  Newest().AddHash(hash);
  return false;
}

std::uint64_t ScalableBloomFilter::Count() const {
  std::uint64_t count = 0;
  for (const auto& filter : filters_) count += filter.Count();
  return count;
}

std::uint64_t ScalableBloomFilter::Capacity() const {
  std::uint64_t capacity = 0;
  for (const auto& filter : filters_) capacity += filter.capacity();
  return capacity;
}

FilterInfo ScalableBloomFilter::Info() const {
  return ChainInfo(filters_, FileFormat::kNative, error_rate_, growth_, tightening_);
}

ScalableBloomFilter ScalableBloomFilter::Copy() const {
  ScalableBloomFilter copy;
  copy.initial_capacity_ = initial_capacity_;
  copy.error_rate_ = error_rate_;
  copy.growth_ = growth_;
  copy.tightening_ = tightening_;
  for (const auto& filter : filters_) copy.filters_.push_back(filter.Copy());
  return copy;
}

ScalableBloomFilter ScalableBloomFilter::Union(const ScalableBloomFilter& other) const {
  if (initial_capacity_ != other.initial_capacity_ || error_rate_ != other.error_rate_ ||
      growth_ != other.growth_ || tightening_ != other.tightening_) {
    throw ShapeError(
        "a union of scalable filters needs equal initial capacity, error rate, "
        "growth and tightening");
  }
  const bool this_longer = filters_.size() >= other.filters_.size();
  const ScalableBloomFilter& longer = this_longer ? *this : other;
  const ScalableBloomFilter& shorter = this_longer ? other : *this;
  ScalableBloomFilter result = longer.Copy();
  for (std::size_t i = 0; i < shorter.filters_.size(); ++i) {
    result.filters_[i] = result.filters_[i].Union(shorter.filters_[i]);
  }
  return result;
}

void ScalableBloomFilter::Save(const std::string& path) const {
  WriteFileAtomically(path, {Serialize()});
}

std::string ScalableBloomFilter::Serialize() const {
  std::string header(kHeaderBytes, '\0');
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  PutField(header, 8, kVersion);
  PutField(header, 12, kKindScalable);
  PutField(header, 16, error_rate_);
  PutField(header, 24, initial_capacity_);
  PutField(header, 32, growth_);
  PutField(header, 40, tightening_);
  PutField(header, 48, static_cast<std::uint32_t>(filters_.size()));
  PutField(header, 56, XXH3_64bits(header.data(), 56));
  std::size_t size = header.size();
  for (const auto& filter : filters_) size += filter.SerializedSize();
  std::string body;
  body.reserve(size);  // tens of MB: copied once, not at each doubling
  body += header;
  for (const auto& filter : filters_) filter.AppendSerialized(body);
  return body;
}

ScalableBloomFilter ScalableBloomFilter::Load(const std::string& path, bool map) {
  return Parse(ReadFileBytes(path, map), path);
}

ScalableBloomFilter ScalableBloomFilter::Parse(const FileBytes& bytes, const std::string& path) {
  const std::string_view all = bytes.View();
  if (all.size() < kHeaderBytes || std::memcmp(all.data(), kMagic, sizeof kMagic) != 0) {
    throw FilterFileError(fmt::format("{}: not a Trend Engine filter", path));
  }
  if (GetField<std::uint32_t>(all, 8) != kVersion ||
      GetField<std::uint32_t>(all, 12) != kKindScalable) {
    throw FilterFileError(fmt::format("{}: not a version {} scalable filter", path, kVersion));
  }
  if (XXH3_64bits(all.data(), 56) != GetField<std::uint64_t>(all, 56)) {
    throw FilterFileError(fmt::format("{}: checksum mismatch in the scalable filter header", path));
  }
  ScalableBloomFilter filter;
  filter.error_rate_ = GetField<double>(all, 16);
  filter.initial_capacity_ = GetField<std::uint64_t>(all, 24);
  filter.growth_ = GetField<double>(all, 32);
  filter.tightening_ = GetField<double>(all, 40);
  try {
    CheckParameters(filter.initial_capacity_, filter.error_rate_, filter.growth_,
                    filter.tightening_);
  } catch (const ShapeError& error) {
    throw FilterFileError(fmt::format("{}: {}", path, error.what()));
  }
  const auto count = GetField<std::uint32_t>(all, 48);
  std::size_t offset = kHeaderBytes;
  for (std::uint32_t i = 0; i < count; ++i) {
    filter.filters_.push_back(BloomFilter::Parse(bytes, offset, path));
  }
  if (offset != all.size()) {
    throw FilterFileError(
        fmt::format("{}: {} bytes after the last sub-filter", path, all.size() - offset));
  }
  return filter;
}

}  // namespace trend::bloom
