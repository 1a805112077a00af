// One worker process: fetches Celery messages from the broker, claims each task id in the
// result backend (a task whose result exists is not run again), runs it, stores the result,
// and only then acknowledges the message. A worker killed at any point leaves its messages
// unacknowledged, and another worker runs them. Processes, not threads, are the unit of
// scale: `trend worker --concurrency N` forks N of these, and more run on other machines.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobs/tasks.hpp"

namespace trend::jobs {

struct WorkerOptions {
  std::string broker_url;
  std::string backend_url;
  std::vector<std::string> queues = {"trend"};
  std::size_t prefetch = 16;  // messages taken per fetch
  std::chrono::seconds visibility_timeout{3600};
  std::chrono::seconds result_expires{86'400};
  std::string name;  // worker name in claims and logs (celery@host style)
  // Set for all but one process of a supervised group: while the queue is empty this process
  // looks at it this often instead of waiting on it, so that a message arriving alone wakes
  // one process of the group, not all of them (on Redis; see BrokerOptions::idle_poll).
  std::optional<std::chrono::milliseconds> idle_poll;
};

struct WorkerCounters {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> duplicates{0};  // not run: result already stored, or running elsewhere
  std::atomic<std::uint64_t> poison{0};      // could not run: malformed, unknown task, bad fields
  std::atomic<std::uint64_t> expired{0};     // not run: past their `expires`
  std::atomic<std::uint64_t> restored{0};    // others' expired messages put back on the queue
  std::atomic<std::uint64_t> requeued{0};    // own prefetched messages handed back at stop
  std::atomic<std::uint64_t> busy_microseconds{0};  // time spent running tasks
};

// Runs until `stop` is set (then finishes the task in hand, hands back what it prefetched and
// returns). Broker or backend outages are waited out with backoff.
void RunWorker(const WorkerOptions& options, const TaskRegistry& tasks,
               const std::atomic<bool>& stop, WorkerCounters& counters);

// Prometheus text for the counters (`trend worker`'s /metrics).
std::string WorkerMetricsText(const WorkerCounters& counters, std::size_t processes);

}  // namespace trend::jobs
