#include "jobs/reconnector.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace trend::jobs {

void Reconnector::Failed(const std::exception& error) {
  if (stop_ && stop_->load()) throw BrokerStopped(what_ + ": stopping");
  if (delay_.count() == 0) {
    std::fprintf(stderr, "trend worker: %s: %s; reconnecting\n", what_.c_str(), error.what());
    delay_ = std::chrono::milliseconds(100);
  } else {
    delay_ = std::min(delay_ * 2, std::chrono::milliseconds(5000));
  }
  // Sleep in small steps so that a stop request is not kept waiting for a whole backoff.
  for (auto slept = std::chrono::milliseconds(0); slept < delay_;
       slept += std::chrono::milliseconds(50)) {
    if (stop_ && stop_->load()) throw BrokerStopped(what_ + ": stopping");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Reconnector::Succeeded() {
  if (delay_.count() == 0) return;
  std::fprintf(stderr, "trend worker: %s: reconnected\n", what_.c_str());
  delay_ = std::chrono::milliseconds(0);
}

}  // namespace trend::jobs
