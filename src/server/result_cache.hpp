// Cached run results, keyed by a hash of (canonical config, dataset hash, engine version).
// The in-process backend is an LRU bounded by bytes; identical requests that arrive while a
// result is being computed wait for that one computation instead of starting their own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace trend {

class LruResultCache {
 public:
  explicit LruResultCache(std::size_t byte_budget) : budget_(byte_budget) {}

  std::optional<std::shared_ptr<const std::string>> Get(const std::string& key);
  void Put(const std::string& key, std::shared_ptr<const std::string> value);
  std::size_t bytes() const;
  std::size_t entries() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;
  mutable std::mutex mutex_;
  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// Runs `compute` once per key among concurrent callers; the others wait for its result (or
// its exception).
class SingleFlight {
 public:
  std::shared_ptr<const std::string> Do(
      const std::string& key, const std::function<std::shared_ptr<const std::string>()>& compute,
      bool* shared = nullptr);

 private:
  struct Call {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::shared_ptr<const std::string> value;
    std::exception_ptr error;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace trend
