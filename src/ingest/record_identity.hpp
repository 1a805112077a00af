// Exactly-once identity of records delivered at least once.
//
// A log line's identity is a 128-bit hash of its stream, its content and its occurrence number
// among identical lines of the same file: the same request logged twice in one second is two
// records, while a re-sent or rotated copy of the file hashes to the same identities and adds
// nothing. Identical lines carry the same timestamp, so occurrences are only counted inside a
// time window (kWindowSeconds behind the newest time seen); identical lines further apart than
// that in one file count as one.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace trend::ingest {

inline constexpr std::int64_t kWindowSeconds = 300;

struct RecordKey {
  std::int64_t hi = 0;
  std::int64_t lo = 0;
  bool operator==(const RecordKey&) const = default;
  // The 64 bits the Bloom filter uses (already a strong hash: no second hashing).
  std::uint64_t BloomHash() const { return static_cast<std::uint64_t>(lo); }
};

struct RecordKeyHash {
  std::size_t operator()(const RecordKey& key) const { return static_cast<std::size_t>(key.lo); }
};

RecordKey IdentityOf(std::string_view stream, std::string_view content, std::uint64_t occurrence);

std::uint64_t LineHash(std::string_view content);

// Counts identical lines of one file within the time window. Its state at a commit can be
// rebuilt exactly from the file: re-read from WindowOffset() to the commit's offset, skipping
// lines older than WindowCutoff() (what a checkpoint stores).
class OccurrenceCounter {
 public:
  // The occurrence number of this line (0 for the first), counting it.
  std::uint64_t Next(std::uint64_t line_hash, std::int64_t time, std::uint64_t line_offset);
  // Starts loading the memory Next(line_hash, ...) will read: the table outgrows the caches.
  void Prefetch(std::uint64_t line_hash) const { counts_.Prefetch(line_hash); }
  // Forgets lines older than the window; call before reading WindowOffset / WindowCutoff.
  void Evict();
  // Where re-reading must start to rebuild the state (the first live line), or `next_offset`
  // (the offset after the last line) when nothing is live.
  std::uint64_t WindowOffset(std::uint64_t next_offset) const;
  std::int64_t WindowCutoff() const { return newest_ - kWindowSeconds; }
  std::int64_t Newest() const { return newest_; }
  // For rebuilding: lines older than this are skipped, and the newest time is restored.
  void Restore(std::int64_t newest) { newest_ = newest; }
  void Clear();
  std::size_t size() const { return counts_.size(); }

 private:
  // Line hash -> (time, next occurrence): open addressing with linear probing, every line of a
  // log passes through here, and a node-based map cost an allocation per line. Keys are XXH3
  // hashes already, so their low bits index the table directly.
  class Counts {
   public:
    struct Slot {
      std::uint64_t hash;
      std::int64_t time;
      std::uint64_t next;  // 0: the slot is empty (a counted line has next >= 1)
    };
    // The slot of `hash`, or the empty slot where it would go (Claim takes it, counting one).
    Slot& Find(std::uint64_t hash);
    void Prefetch(std::uint64_t hash) const {
      __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
    }
    void Claim(Slot& slot, std::uint64_t hash, std::int64_t time);
    void Erase(std::uint64_t hash);
    void Clear();
    std::size_t size() const { return size_; }

   private:
    void Grow();
    std::vector<Slot> slots_ = std::vector<Slot>(1024);
    std::size_t size_ = 0;
  };
  struct Second {
    std::uint64_t first_offset;
    std::vector<std::uint64_t> hashes;
  };
  Counts counts_;
  std::map<std::int64_t, Second> seconds_;  // by time: what to evict, and the earliest offset
  std::int64_t newest_ = INT64_MIN / 2;
};

}  // namespace trend::ingest
