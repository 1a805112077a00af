#include "ingest/record_identity.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <iterator>

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

OccurrenceCounter::Counts::Slot& OccurrenceCounter::Counts::Find(std::uint64_t hash) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.next == 0 || slot.hash == hash) return slot;
  }
}

void OccurrenceCounter::Counts::Claim(Slot& slot, std::uint64_t hash, std::int64_t time) {
  slot = {hash, time, 1};
  ++size_;
  if (2 * size_ > slots_.size()) Grow();  // after: `slot` is not used again by the caller
}

void OccurrenceCounter::Counts::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.next == 0) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].next != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

// Backward-shift deletion: later slots of the probe run move up, so no tombstones are needed.
void OccurrenceCounter::Counts::Erase(std::uint64_t hash) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = hash & mask;
  while (slots_[hole].next != 0 && slots_[hole].hash != hash) hole = (hole + 1) & mask;
  if (slots_[hole].next == 0) return;
  --size_;
  for (std::size_t j = (hole + 1) & mask; slots_[j].next != 0; j = (j + 1) & mask) {
    const std::size_t home = slots_[j].hash & mask;
    // Move slot j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole].next = 0;
}

void OccurrenceCounter::Counts::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{0, 0, 0});
  size_ = 0;
}

std::uint64_t OccurrenceCounter::Next(std::uint64_t line_hash, std::int64_t time,
                                      std::uint64_t line_offset) {
  newest_ = std::max(newest_, time);
  Counts::Slot* slot = &counts_.Find(line_hash);
  if (slot->next != 0 && slot->time == time) return slot->next++;
  // A new line, or (a hash collision between lines of different times, vanishingly rare) one
  // that takes over the slot: either way counted from here.
  // Lines come in time order, so the newest second is nearly always the one.
  auto second = seconds_.empty() ? seconds_.end() : std::prev(seconds_.end());
  if (second == seconds_.end() || second->first != time) {
    second = seconds_.try_emplace(time, Second{line_offset, {}}).first;
  }
  second->second.hashes.push_back(line_hash);
  if (slot->next != 0) {
    slot->time = time;
    slot->next = 1;
    return 0;
  }
  counts_.Claim(*slot, line_hash, time);
  return 0;
}

void OccurrenceCounter::Evict() {
  const std::int64_t cutoff = WindowCutoff();
  while (!seconds_.empty() && seconds_.begin()->first < cutoff) {
    const auto& [time, second] = *seconds_.begin();
    for (const std::uint64_t hash : second.hashes) {
      const Counts::Slot& slot = counts_.Find(hash);
      if (slot.next != 0 && slot.time == time) counts_.Erase(hash);
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
  counts_.Clear();
  seconds_.clear();
  newest_ = INT64_MIN / 2;
}

}  // namespace trend::ingest
