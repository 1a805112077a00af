#include "server/shared_cache.hpp"

#include <hiredis/hiredis.h>
#include <libmemcached/memcached.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace trend {
namespace {

struct Endpoint {
  std::string host;
  int port = 0;
  int db = 0;
};

Endpoint ParseEndpoint(const std::string& url, const std::string& scheme, int default_port) {
  Endpoint e;
  std::string rest = url.substr(scheme.size() + 3);
  const std::size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      try {
        e.db = std::stoi(db);
      } catch (const std::exception&) {
        throw std::invalid_argument(url + ": the database must be a number");
      }
    }
  }
  const std::size_t colon = rest.rfind(':');
  e.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  e.port = default_port;
  if (colon != std::string::npos) {
    try {
      e.port = std::stoi(rest.substr(colon + 1));
    } catch (const std::exception&) {
      throw std::invalid_argument(url + ": the port must be a number");
    }
  }
  if (e.host.empty()) throw std::invalid_argument(url + ": no host");
  if (e.port < 1 || e.port > 65535) {
    throw std::invalid_argument(url + ": the port must be between 1 and 65535");
  }
  return e;
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// A small pool of connections: hiredis and libmemcached handles are not thread-safe.
template <typename Handle, typename Deleter>
class Pool {
 public:
  using Ptr = std::unique_ptr<Handle, Deleter>;
  Ptr Take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return Ptr(nullptr, Deleter{});
    Ptr p = std::move(idle_.back());
    idle_.pop_back();
    return p;
  }
  void Give(Ptr p) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 64) idle_.push_back(std::move(p));
  }

 private:
  std::mutex mutex_;
  std::vector<Ptr> idle_;
};

struct RedisFree {
  void operator()(redisContext* c) const {
    if (c) redisFree(c);
  }
};
struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};

class RedisCache final : public SharedResultCache {
 public:
  RedisCache(Endpoint endpoint, SharedCacheOptions options)
      : SharedResultCache(options), endpoint_(std::move(endpoint)), options_(options) {}
  const char* backend() const override { return "redis"; }

 private:
  Outcome Fetch(const std::string& key, std::string& value) override {
    bool hit = false;
    const bool ok = Command([&](redisContext* c) {
      std::unique_ptr<redisReply, ReplyFree> reply(
          static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size())));
      if (!reply) return false;
      if (reply->type == REDIS_REPLY_STRING) {
        value.assign(reply->str, reply->len);
        hit = true;
      }
      return reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL;
    });
    if (!ok) return Outcome::kError;
    return hit ? Outcome::kHit : Outcome::kMiss;
  }

  bool Store(const std::string& key, const std::string& value) override {
    return Command([&](redisContext* c) {
      std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(
          redisCommand(c, "SET %b %b EX %lld", key.data(), key.size(), value.data(), value.size(),
                       static_cast<long long>(options_.ttl.count()))));
      return reply && reply->type == REDIS_REPLY_STATUS;
    });
  }

  template <typename F>
  bool Command(F&& f) {
    auto context = pool_.Take();
    if (!context) context = Connect();
    if (!context) return false;
    if (!f(context.get()) || context->err) return false;  // a broken connection is dropped
    pool_.Give(std::move(context));
    return true;
  }

  std::unique_ptr<redisContext, RedisFree> Connect() {
    const timeval timeout = ToTimeval(options_.timeout);
    std::unique_ptr<redisContext, RedisFree> c(
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, timeout));
    if (!c || c->err) return nullptr;
    redisSetTimeout(c.get(), timeout);
    if (endpoint_.db != 0) {
      std::unique_ptr<redisReply, ReplyFree> reply(
          static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", endpoint_.db)));
      if (!reply || reply->type == REDIS_REPLY_ERROR) return nullptr;
    }
    return c;
  }

  Endpoint endpoint_;
  SharedCacheOptions options_;
  Pool<redisContext, RedisFree> pool_;
};

struct MemcachedFree {
  void operator()(memcached_st* m) const {
    if (m) memcached_free(m);
  }
};

class MemcachedCache final : public SharedResultCache {
 public:
  MemcachedCache(Endpoint endpoint, SharedCacheOptions options)
      : SharedResultCache(options), endpoint_(std::move(endpoint)), options_(options) {}
  const char* backend() const override { return "memcached"; }

 private:
  Outcome Fetch(const std::string& key, std::string& value) override {
    auto m = Acquire();
    if (!m) return Outcome::kError;
    std::size_t length = 0;
    std::uint32_t flags = 0;
    memcached_return_t rc;
    char* data = memcached_get(m.get(), key.data(), key.size(), &length, &flags, &rc);
    if (rc == MEMCACHED_NOTFOUND) {
      pool_.Give(std::move(m));
      return Outcome::kMiss;
    }
    if (rc != MEMCACHED_SUCCESS || data == nullptr) {
      std::free(data);
      return Outcome::kError;
    }
    value.assign(data, length);
    std::free(data);
    pool_.Give(std::move(m));
    return Outcome::kHit;
  }

  bool Store(const std::string& key, const std::string& value) override {
    auto m = Acquire();
    if (!m) return false;
    const memcached_return_t rc =
        memcached_set(m.get(), key.data(), key.size(), value.data(), value.size(),
                      static_cast<time_t>(options_.ttl.count()), 0);
    if (rc != MEMCACHED_SUCCESS) return false;
    pool_.Give(std::move(m));
    return true;
  }

  std::unique_ptr<memcached_st, MemcachedFree> Acquire() {
    auto m = pool_.Take();
    if (m) return m;
    m.reset(memcached_create(nullptr));
    if (!m) return m;
    const auto ms = static_cast<std::uint64_t>(options_.timeout.count());
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms);
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms);
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_RCV_TIMEOUT, ms * 1000);
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_SND_TIMEOUT, ms * 1000);
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    if (memcached_server_add(m.get(), endpoint_.host.c_str(),
                             static_cast<in_port_t>(endpoint_.port)) != MEMCACHED_SUCCESS) {
      return nullptr;
    }
    return m;
  }

  Endpoint endpoint_;
  SharedCacheOptions options_;
  Pool<memcached_st, MemcachedFree> pool_;
};

}  // namespace

bool SharedResultCache::breaker_open() const {
  const std::int64_t until = open_until_.load();
  return until != 0 && Clock::now().time_since_epoch().count() < until;
}

bool SharedResultCache::Admit() {
  const std::int64_t until = open_until_.load();
  if (until == 0) return true;
  if (Clock::now().time_since_epoch().count() < until) return false;
  // The back-off has passed: one call probes the backend, the others still skip it.
  bool expected = false;
  return probing_.compare_exchange_strong(expected, true);
}

void SharedResultCache::Record(bool success) {
  probing_.store(false);
  if (success) {
    failures_in_a_row_.store(0);
    open_until_.store(0);
    return;
  }
  ++errors_;
  if (++failures_in_a_row_ >= breaker_options_.failures_to_open || open_until_.load() != 0) {
    const auto until = Clock::now() + breaker_options_.open_for;
    if (open_until_.exchange(until.time_since_epoch().count()) == 0) ++opened_;
  }
}

std::optional<std::string> SharedResultCache::Get(const std::string& key) {
  if (!Admit()) {
    ++skipped_;
    return std::nullopt;
  }
  std::string value;
  const Outcome outcome = Fetch(key, value);
  Record(outcome != Outcome::kError);
  if (outcome == Outcome::kError) return std::nullopt;
  ++(outcome == Outcome::kHit ? hits_ : misses_);
  if (outcome == Outcome::kMiss) return std::nullopt;
  return value;
}

void SharedResultCache::Put(const std::string& key, const std::string& value) {
  if (!Admit()) {
    ++skipped_;
    return;
  }
  Record(Store(key, value));
}

std::unique_ptr<SharedResultCache> MakeSharedResultCache(const std::string& url,
                                                         const SharedCacheOptions& options) {
  if (url.rfind("redis://", 0) == 0) {
    return std::make_unique<RedisCache>(ParseEndpoint(url, "redis", 6379), options);
  }
  if (url.rfind("memcached://", 0) == 0) {
    return std::make_unique<MemcachedCache>(ParseEndpoint(url, "memcached", 11211), options);
  }
  throw std::invalid_argument(url + ": expected redis://host:port[/db] or memcached://host:port");
}

}  // namespace trend
