#include "bloom/filter_file.hpp"

#include <fmt/format.h>
#include <cstring>

#include "bloom/bloom_error.hpp"
#include "bloom/bloom_filter.hpp"
#include "bloom/file_bytes.hpp"
#include "bloom/pybloom_format.hpp"
#include "bloom/scalable_bloom_filter.hpp"

namespace trend::bloom {

std::unique_ptr<MembershipFilter> MakeFilter(const FilterSpec& spec) {
  if (spec.format == FileFormat::kNative) {
    if (!spec.scalable) return std::make_unique<BloomFilter>(spec.capacity, spec.error_rate);
    return std::make_unique<ScalableBloomFilter>(
        spec.capacity, spec.error_rate,
        spec.growth > 0 ? spec.growth : ScalableBloomFilter::kDefaultGrowth);
  }
  if (!spec.scalable) return std::make_unique<PybloomFilter>(spec.capacity, spec.error_rate);
  const double growth = spec.growth > 0 ? spec.growth : PybloomScalableFilter::kLargeSetGrowth;
  if (growth != 2 && growth != 4) {
    throw ShapeError(
        "a pybloom-live ScalableBloomFilter grows by 2 (SMALL_SET_GROWTH) or 4 "
        "(LARGE_SET_GROWTH)");
  }
  return std::make_unique<PybloomScalableFilter>(spec.capacity, spec.error_rate,
                                                 static_cast<std::int32_t>(growth));
}

std::unique_ptr<MembershipFilter> LoadFilter(const std::string& path, bool map) {
  const FileBytes bytes = ReadFileBytes(path, map);
  const std::string_view all = bytes.View();
  if (all.size() >= 16 && std::memcmp(all.data(), "TRBLOOM", 8) == 0) {
    std::uint32_t kind = 0;
    std::memcpy(&kind, all.data() + 12, sizeof kind);
    if (kind == 2)
      return std::make_unique<ScalableBloomFilter>(ScalableBloomFilter::Load(path, map));
    std::size_t offset = 0;
    auto filter = std::make_unique<BloomFilter>(BloomFilter::Parse(bytes, offset, path));
    if (offset != all.size()) {
      throw FilterFileError(
          fmt::format("{}: {} bytes after the filter", path, all.size() - offset));
    }
    return filter;
  }
  // pybloom-live files carry no magic. A fixed filter's header starts with its error rate, a
  // double in (0, 1); a scalable one's with its growth, the int32 2 or 4, whose bytes read as
  // a double are a denormal and never in a fixed filter's range.
  if (all.size() >= PybloomFilter::kHeaderBytes) {
    try {
      return std::make_unique<PybloomFilter>(PybloomFilter::Parse(all, 0, all.size(), path));
    } catch (const FilterFileError&) {  // not a fixed one: try the scalable layout
    }
  }
  try {
    return std::make_unique<PybloomScalableFilter>(PybloomScalableFilter::Parse(all, path));
  } catch (const FilterFileError&) {
    throw FilterFileError(fmt::format(
        "{}: neither a Trend Engine filter nor a pybloom-live BloomFilter or ScalableBloomFilter",
        path));
  }
}

}  // namespace trend::bloom
