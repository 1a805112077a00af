// Work split into tasks for `trend worker` processes and put back together in order: publish
// every task, poll the result backend for their states (one MGET per 512 open tasks), and hand
// each result to the caller as soon as it and every task before it are done, so the caller
// writes in order with memory for the out-of-order ones only. A client that leaves early (a
// signal, a failed task) revokes the tasks not yet done, so workers skip them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "error/input_error.hpp"
#include "jobs/broker.hpp"
#include "jobs/result_backend.hpp"

namespace trend::jobs {

// A task that failed or was revoked on its worker, with Celery's exc_type ("TaskRevoked" for a
// revoked one); the message names the task.
class RemoteTaskError : public InputError {
 public:
  RemoteTaskError(std::string type, const std::string& message)
      : InputError(message), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

struct ScatterTask {
  OutgoingTask task;      // its id set
  std::size_t units = 1;  // what its PROGRESS counts (configurations, periods)
  std::string what;       // names it in errors, e.g. "configurations 0..99"
};

struct ScatterOptions {
  std::chrono::milliseconds poll{20};
  // Said once when nothing has progressed for this long (no worker on the queue?).
  std::chrono::milliseconds idle_notice{10'000};
  std::function<void(const std::string&)> notice;
  const std::atomic<bool>* stop = nullptr;  // set: revoke what is left and return
};

// Returns how many results went to `take` (all unless stopped). `progress` gets the units done
// over all tasks. Throws RemoteTaskError naming the task for a FAILURE or REVOKED result, and
// InputError for one that `take` rejects with std::invalid_argument.
std::size_t ScatterGather(Broker& broker, RedisResultBackend& backend,
                          std::vector<ScatterTask> tasks, const ScatterOptions& options,
                          const std::function<void(std::size_t, const nlohmann::json&)>& take,
                          const std::function<void(std::size_t)>& progress);

}  // namespace trend::jobs
