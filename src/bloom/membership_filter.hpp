// The interface every filter here offers, native or pybloom-live-compatible, fixed or scalable:
// what `trend bloom`, ingest and the job queue need without knowing which one they hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trend::bloom {

enum class FileFormat { kNative, kPybloom };

struct FilterInfo {
  std::string kind;  // "fixed" or "scalable"
  FileFormat format = FileFormat::kNative;
  std::uint64_t capacity = 0;         // keys it holds at its error rate (scalable: all sub-filters)
  double error_rate = 0;              // the rate asked for
  std::uint64_t count = 0;            // adds that found the key new
  std::uint64_t bits = 0;             // bits of filter memory
  std::vector<std::uint32_t> hashes;  // per (sub-)filter
  std::uint32_t block_bits = 0;       // native: bits per cache block; pybloom: 0
  double growth = 0;                  // scalable only
  double tightening = 0;              // scalable only
  // The false-positive rate expected for a key never added, at the current fill.
  double expected_false_positive_rate = 0;
};

class MembershipFilter {
 public:
  virtual ~MembershipFilter() = default;
  // Adds the key; true when it was (probably) there already, and then the count is unchanged.
  virtual bool Add(std::string_view key) = 0;
  virtual bool Contains(std::string_view key) const = 0;
  virtual std::uint64_t Count() const = 0;
  virtual FilterInfo Info() const = 0;
  // Writes the filter in its own format; the file is replaced only once complete.
  virtual void Save(const std::string& path) const = 0;
};

const char* FormatName(FileFormat format);

// A chain of sub-filters (either format's scalable filter) as one: capacities, counts and bits
// add up, and a key never added is a false positive unless every sub-filter says no.
template <typename SubFilter>
FilterInfo ChainInfo(const std::vector<SubFilter>& filters, FileFormat format, double error_rate,
                     double growth, double tightening) {
  FilterInfo info;
  info.kind = "scalable";
  info.format = format;
  info.error_rate = error_rate;
  info.growth = growth;
  info.tightening = tightening;
  double all_miss = 1;
  for (const auto& filter : filters) {
    const FilterInfo part = filter.Info();
    info.capacity += part.capacity;
    info.count += part.count;
    info.bits += part.bits;
    info.hashes.push_back(part.hashes.front());
    info.block_bits = part.block_bits;
    all_miss *= 1 - part.expected_false_positive_rate;
  }
  info.expected_false_positive_rate = 1 - all_miss;
  return info;
}

}  // namespace trend::bloom
