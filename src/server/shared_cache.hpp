// Result caches shared between server processes: Redis (hiredis) and memcached
// (libmemcached), named by URL (redis://127.0.0.1:6379/0, memcached://127.0.0.1:11211). A
// backend that is down or slower than its timeout reports an error and the caller computes
// instead: the cache can make requests faster, never make them fail. A circuit breaker keeps
// a hung backend from costing every request its timeout: after `failures_to_open` errors in a
// row the backend is skipped for `open_for`, then one probe decides whether it is back.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace trend {

struct SharedCacheOptions {
  std::chrono::seconds ttl{3600};
  std::chrono::milliseconds timeout{100};     // connect and per command
  int failures_to_open = 5;                   // errors in a row that open the breaker
  std::chrono::milliseconds open_for{5'000};  // how long an open breaker skips the backend
};

class SharedResultCache {
 public:
  explicit SharedResultCache(const SharedCacheOptions& options) : breaker_options_(options) {}
  virtual ~SharedResultCache() = default;
  // nullopt on a miss, an error or while the breaker is open (each counted).
  std::optional<std::string> Get(const std::string& key);
  // Best effort; failures are counted, and nothing is sent while the breaker is open.
  void Put(const std::string& key, const std::string& value);
  virtual const char* backend() const = 0;

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t errors() const { return errors_; }
  std::uint64_t skipped() const { return skipped_; }        // calls not made: breaker open
  std::uint64_t breaker_opened() const { return opened_; }  // times it opened
  bool breaker_open() const;

 protected:
  enum class Outcome { kHit, kMiss, kError };
  // One command to the backend, within its timeout.
  virtual Outcome Fetch(const std::string& key, std::string& value) = 0;
  virtual bool Store(const std::string& key, const std::string& value) = 0;

 private:
  using Clock = std::chrono::steady_clock;
  bool Admit();               // false: skip the backend
  void Record(bool success);  // after a call that was admitted

  SharedCacheOptions breaker_options_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, errors_{0}, skipped_{0}, opened_{0};
  std::atomic<int> failures_in_a_row_{0};
  std::atomic<std::int64_t> open_until_{0};  // Clock ticks; 0: closed
  std::atomic<bool> probing_{false};         // one call tests a backend whose breaker expired
};

// Throws std::invalid_argument naming the URL when it is not redis://host:port[/db] or
// memcached://host:port. Connections are made lazily, so a server that is down at start-up
// only costs errors until it is back.
std::unique_ptr<SharedResultCache> MakeSharedResultCache(const std::string& url,
                                                         const SharedCacheOptions& options = {});

}  // namespace trend
