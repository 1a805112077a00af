// Result caches shared between server processes: Redis (hiredis) and memcached
// (libmemcached), named by URL (redis://127.0.0.1:6379/0, memcached://127.0.0.1:11211). A
// backend that is down or slower than its timeout reports an error and the caller computes
// instead: the cache can make requests faster, never make them fail.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace trend {

class SharedResultCache {
 public:
  virtual ~SharedResultCache() = default;
  // nullopt on a miss or an error (errors() counts those).
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  // Best effort; failures are counted.
  virtual void Put(const std::string& key, const std::string& value) = 0;
  virtual const char* backend() const = 0;

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t errors() const { return errors_; }

 protected:
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, errors_{0};
};

struct SharedCacheOptions {
  std::chrono::seconds ttl{3600};
  std::chrono::milliseconds timeout{100};  // connect and per command
};

// Throws std::invalid_argument naming the URL when it is not redis://host:port[/db] or
// memcached://host:port. Connections are made lazily, so a server that is down at start-up
// only costs errors until it is back.
std::unique_ptr<SharedResultCache> MakeSharedResultCache(const std::string& url,
                                                         const SharedCacheOptions& options = {});

}  // namespace trend
