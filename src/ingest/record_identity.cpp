#include "ingest/record_identity.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace trend::ingest {

RecordKey IdentityOf(std::string_view stream, std::string_view content, std::uint64_t occurrence) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  const std::uint64_t stream_length = stream.size();
  XXH3_128bits_update(&state, &stream_length, sizeof stream_length);  // "ab"+"c" != "a"+"bc"
  XXH3_128bits_update(&state, stream.data(), stream.size());
  XXH3_128bits_update(&state, content.data(), content.size());
  XXH3_128bits_update(&state, &occurrence, sizeof occurrence);
  const XXH128_hash_t hash = XXH3_128bits_digest(&state);
  RecordKey key;
  std::memcpy(&key.hi, &hash.high64, sizeof key.hi);
  std::memcpy(&key.lo, &hash.low64, sizeof key.lo);
  return key;
}

std::uint64_t LineHash(std::string_view content) {
  return XXH3_64bits(content.data(), content.size());
}

std::uint64_t OccurrenceCounter::Next(std::uint64_t line_hash, std::int64_t time,
                                      std::uint64_t line_offset) {
  newest_ = std::max(newest_, time);
  auto [it, inserted] = counts_.try_emplace(line_hash, Entry{time, 0});
  if (inserted || it->second.time != time) {
    // A new line, or (a hash collision between lines of different times, vanishingly rare) one
    // that takes over the slot: either way counted from here.
    if (!inserted) it->second = Entry{time, 0};
    seconds_.try_emplace(time, Second{line_offset, {}}).first->second.hashes.push_back(line_hash);
  }
  return it->second.next++;
}

void OccurrenceCounter::Evict() {
  const std::int64_t cutoff = WindowCutoff();
  while (!seconds_.empty() && seconds_.begin()->first < cutoff) {
    const auto& [time, second] = *seconds_.begin();
    for (const std::uint64_t hash : second.hashes) {
      const auto it = counts_.find(hash);
      if (it != counts_.end() && it->second.time == time) counts_.erase(it);
    }
    seconds_.erase(seconds_.begin());
  }
}

std::uint64_t OccurrenceCounter::WindowOffset(std::uint64_t next_offset) const {
  std::uint64_t offset = next_offset;
  for (const auto& [time, second] : seconds_) offset = std::min(offset, second.first_offset);
  return offset;
}

void OccurrenceCounter::Clear() {
  counts_.clear();
  seconds_.clear();
  newest_ = INT64_MIN / 2;
}

}  // namespace trend::ingest
