#include "server/result_cache.hpp"

#include <stdexcept>

namespace trend {

std::optional<std::shared_ptr<const std::string>> LruResultCache::Get(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void LruResultCache::Put(const std::string& key, std::shared_ptr<const std::string> value) {
  const std::size_t size = key.size() + value->size();
  std::lock_guard lock(mutex_);
  if (size > budget_) return;  // larger than the whole cache: not worth evicting everything
  if (const auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->first.size() + it->second->second->size();
    order_.erase(it->second);
    index_.erase(it);
  }
  order_.emplace_front(key, std::move(value));
  index_[key] = order_.begin();
  bytes_ += size;
  while (bytes_ > budget_ && !order_.empty()) {
    const Entry& last = order_.back();
    bytes_ -= last.first.size() + last.second->size();
    index_.erase(last.first);
    order_.pop_back();
  }
}

std::size_t LruResultCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t LruResultCache::entries() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

std::shared_ptr<const std::string> SingleFlight::Do(
    const std::string& key, const std::function<std::shared_ptr<const std::string>()>& compute,
    bool* shared) {
  std::shared_ptr<Call> call;
  bool leader = false;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = calls_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Call>();
    call = it->second;
    leader = inserted;
  }
  if (shared) *shared = !leader;
  if (!leader) {
    std::unique_lock lock(call->mutex);
    call->done_cv.wait(lock, [&] { return call->done; });
    if (call->error) std::rethrow_exception(call->error);
    return call->value;
  }
  std::shared_ptr<const std::string> value;
  std::exception_ptr error;
  try {
    value = compute();
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard lock(call->mutex);
    call->value = value;
    call->error = error;
    call->done = true;
  }
  call->done_cv.notify_all();
  {
    std::lock_guard lock(mutex_);
    calls_.erase(key);
  }
  if (error) std::rethrow_exception(error);
  return value;
}

}  // namespace trend
