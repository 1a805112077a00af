// Backoff for a worker whose broker or result backend went away.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace trend::jobs {

// Thrown out of a wait for a connection when the worker is stopping.
class BrokerStopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Backoff between attempts to reach a broker or backend that went away: logged once per
// outage, 0.1 s doubling to 5 s, "reconnected" when it is back.
class Reconnector {
 public:
  Reconnector(std::string what, const std::atomic<bool>* stop)
      : what_(std::move(what)), stop_(stop) {}
  // After a failed attempt: logs (the first of an outage) and sleeps; throws BrokerStopped
  // when the worker is stopping.
  void Failed(const std::exception& error);
  void Succeeded();

 private:
  std::string what_;
  const std::atomic<bool>* stop_;
  std::chrono::milliseconds delay_{0};
};

}  // namespace trend::jobs
