#include "jobs/worker.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/broker.hpp"
#include "jobs/control_mailbox.hpp"
#include "jobs/result_backend.hpp"

namespace trend::jobs {
namespace {

using Clock = std::chrono::steady_clock;

// What this process holds: its messages' tags and task ids, refreshed once a second so that
// neither is handed to another worker while this one lives.
class InFlight {
 public:
  void Add(const std::string& tag, const std::string& id) {
    std::lock_guard lock(mutex_);
    tags_.insert(tag);
    if (!id.empty()) ids_.insert(id);
  }
  void Remove(const std::string& tag, const std::string& id) {
    std::lock_guard lock(mutex_);
    tags_.erase(tag);
    ids_.erase(id);
  }
  void Snapshot(std::vector<std::string>& tags, std::vector<std::string>& ids) const {
    std::lock_guard lock(mutex_);
    tags.assign(tags_.begin(), tags_.end());
    ids.assign(ids_.begin(), ids_.end());
  }

 private:
  mutable std::mutex mutex_;
  std::multiset<std::string> tags_, ids_;
};

BrokerOptions BrokerOptionsFor(const WorkerOptions& options, const std::atomic<bool>& stop) {
  BrokerOptions b;
  b.queues = options.queues;
  b.visibility_timeout = options.visibility_timeout;
  b.stop = &stop;
  b.idle_poll = options.idle_poll;
  // A backend on the broker's own Redis server: the fetch claims what it takes.
  if (options.broker_url.rfind("redis://", 0) == 0 &&
      options.backend_url.rfind("redis://", 0) == 0) {
    const RedisEndpoint broker = ParseRedisUrl(options.broker_url);
    const RedisEndpoint backend = ParseRedisUrl(options.backend_url);
    if (broker.host == backend.host && broker.port == backend.port &&
        broker.password == backend.password)
      b.claims = FetchClaims{backend.db, options.name, options.visibility_timeout};
  }
  return b;
}

BackendOptions BackendOptionsFor(const WorkerOptions& options, const std::atomic<bool>& stop) {
  BackendOptions b;
  b.result_expires = options.result_expires;
  b.claim_ttl = options.visibility_timeout;
  b.worker = options.name;
  b.stop = &stop;
  return b;
}

// The keeper: restores what dead workers left past the visibility timeout, and refreshes
// this process's messages and claims, once a second, on connections of its own.
class Keeper {
 public:
  Keeper(const WorkerOptions& options, const std::atomic<bool>& stop, const InFlight& in_flight,
         WorkerCounters& counters)
      : thread_([this, &options, &stop, &in_flight, &counters] {
          Loop(options, stop, in_flight, counters);
        }) {}
  ~Keeper() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    stop_ = true;  // ends a wait for a lost connection too
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Loop(const WorkerOptions& options, const std::atomic<bool>& stop, const InFlight& in_flight,
            WorkerCounters& counters) {
    try {
      auto broker = ConnectBroker(options.broker_url, BrokerOptionsFor(options, stop_));
      RedisResultBackend backend(options.backend_url, BackendOptionsFor(options, stop_));
      std::vector<std::string> tags, ids;
      for (;;) {
        {
          std::unique_lock lock(mutex_);
          if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) return;
        }
        if (stop.load()) continue;  // stopping: the main loop hands everything back
        in_flight.Snapshot(tags, ids);
        broker->Touch(tags);
        backend.Touch(ids);
        counters.restored += broker->RestoreExpired();
      }
    } catch (const BrokerStopped&) {
    } catch (const std::exception& error) {
      std::fprintf(stderr, "trend worker: keeper stopped: %s\n", error.what());
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::atomic<bool> stop_{false};  // the keeper's own: set only when the process ends
  std::thread thread_;
};

TaskFailure FailureOf(const std::string& type, const std::string& message) {
  return {type, message, fmt::format("{}: {}", type, message)};
}

}  // namespace

void RunWorker(const WorkerOptions& options, const TaskRegistry& tasks,
               const std::atomic<bool>& stop, WorkerCounters& counters) {
  auto broker = ConnectBroker(options.broker_url, BrokerOptionsFor(options, stop));
  RedisResultBackend backend(options.backend_url, BackendOptionsFor(options, stop));
  InFlight in_flight;
  Keeper keeper(options, stop, in_flight, counters);
  // `celery inspect ping` answered (Redis brokers).
  std::optional<ControlMailbox> mailbox;
  if (options.broker_url.rfind("redis://", 0) == 0)
    mailbox.emplace(options.broker_url, options.name);

  std::vector<FinalResult> results;
  std::vector<std::string> acks;
  std::vector<std::pair<std::string, std::string>> settled;  // tag, id: leave in_flight
  // `before_next_fetch`: the results may go out with the next fetch, in its round trip, when
  // the backend shares the broker's server (the end of a batch: the fetch follows at once).
  auto flush = [&](bool before_next_fetch = false) {
    // Results first: a message is acknowledged only once its result is stored (in the same
    // round trip, the stores go ahead of the acknowledgements).
    if (!results.empty() && before_next_fetch) {
      auto commands = backend.StoreCommands(results);
      if (!broker->SendWithNextFetch(backend.endpoint(), commands)) backend.Send(commands);
    } else {
      backend.Store(results);
    }
    broker->Ack(acks);
    for (const auto& [tag, id] : settled) in_flight.Remove(tag, id);
    results.clear();
    acks.clear();
    settled.clear();
  };
  auto settle = [&](const std::string& tag, const std::string& id) {
    acks.push_back(tag);
    settled.emplace_back(tag, id);
  };

  // Tasks sent with an ETA or countdown, held (unacknowledged, refreshed like running ones)
  // until due. A stopping worker hands them back with what it prefetched.
  std::multimap<std::chrono::system_clock::time_point, Delivery> scheduled;
  auto hand_back_scheduled = [&] {
    std::vector<std::string> tags;
    for (auto& [due, d] : scheduled) {
      tags.push_back(d.tag);
      in_flight.Remove(d.tag, "");
    }
    scheduled.clear();
    if (tags.empty()) return;
    broker->Requeue(tags);
    counters.requeued += tags.size();
  };

  try {
    while (!stop.load()) {
      std::vector<Delivery> batch;
      const auto wall_now = std::chrono::system_clock::now();
      while (!scheduled.empty() && scheduled.begin()->first <= wall_now) {
        batch.push_back(std::move(scheduled.begin()->second));
        scheduled.erase(scheduled.begin());
      }
      if (batch.empty()) {
        auto wait = std::chrono::milliseconds(500);
        if (!scheduled.empty()) {
          wait = std::clamp(
              std::chrono::ceil<std::chrono::milliseconds>(scheduled.begin()->first - wall_now),
              std::chrono::milliseconds(1), wait);
        }
        // Held tasks do not count against the prefetch (an AMQP broker's qos grows with them).
        std::vector<Delivery> fetched = broker->Fetch(options.prefetch + scheduled.size(), wait);
        counters.received += fetched.size();
        for (Delivery& d : fetched) {
          const auto eta = d.message ? ParseIsoTime(d.message->eta) : std::nullopt;
          if (eta && *eta > wall_now) {
            in_flight.Add(d.tag, "");
            scheduled.emplace(*eta, std::move(d));
          } else {
            batch.push_back(std::move(d));
          }
        }
        if (batch.empty()) continue;
      }
      std::vector<ClaimRequest> claims;
      std::map<std::size_t, ClaimOutcome> fetch_outcomes;  // by position in `runnable`
      std::vector<std::size_t> runnable;
      std::set<std::string> ids_in_batch;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Delivery& d = batch[i];
        const std::string id = d.message ? d.message->id : (d.poison ? d.poison->id : "");
        in_flight.Add(d.tag, id);
        if (d.poison) {
          ++counters.poison;
          std::fprintf(stderr, "trend worker: rejected message %s (task %s): %s\n",
                       id.empty() ? "(no id)" : id.c_str(),
                       d.poison->task.empty() ? "?" : d.poison->task.c_str(), d.poison->what());
          if (!id.empty())
            results.push_back({id, false, nullptr, FailureOf("PoisonMessage", d.poison->what())});
          settle(d.tag, id);
          continue;
        }
        if (!ids_in_batch.insert(id).second) {  // the same task twice in one fetch
          ++counters.duplicates;
          settle(d.tag, id);
          continue;
        }
        runnable.push_back(i);
        // Claimed by the fetch: kept when it read the message as we did. (A fetch that took a
        // redelivered message for a first one found the dead worker's claim: claimed again.)
        const auto& c = d.claim;
        if (c && c->id == id &&
            (c->redelivered == d.message->redelivered || c->outcome != "busy")) {
          fetch_outcomes[runnable.size() - 1] = c->outcome == "done"   ? ClaimOutcome::kDone
                                                : c->outcome == "busy" ? ClaimOutcome::kBusy
                                                                       : ClaimOutcome::kRun;
        } else {
          claims.push_back({id, d.message->redelivered});
        }
      }
      // The claims the fetch did not take, in one call, merged back in order.
      const std::vector<ClaimOutcome> claimed = backend.Claim(claims);
      std::vector<ClaimOutcome> outcomes(runnable.size(), ClaimOutcome::kRun);
      for (std::size_t k = 0, next = 0; k < runnable.size(); ++k) {
        const auto it = fetch_outcomes.find(k);
        outcomes[k] = it != fetch_outcomes.end() ? it->second : claimed[next++];
      }
      auto last_flush = Clock::now();
      for (std::size_t k = 0; k < runnable.size(); ++k) {
        Delivery& d = batch[runnable[k]];
        const TaskMessage& m = *d.message;
        if (stop.load()) {
          // Not started: back to the queue for another worker, now rather than after the
          // visibility timeout.
          std::vector<std::string> rest;
          for (std::size_t r = k; r < runnable.size(); ++r) {
            rest.push_back(batch[runnable[r]].tag);
            in_flight.Remove(batch[runnable[r]].tag, batch[runnable[r]].message->id);
          }
          flush();
          broker->Requeue(rest);
          counters.requeued += rest.size();
          hand_back_scheduled();
          return;
        }
        if (outcomes[k] != ClaimOutcome::kRun) {
          ++counters.duplicates;
          settle(d.tag, m.id);
          continue;
        }
        if (const auto expires = ParseIsoTime(m.expires);
            expires && *expires < std::chrono::system_clock::now()) {
          // Celery's rule: a task past its expiry is not run, and its result says so.
          backend.Revoke({m.id}, "expired");
          ++counters.expired;
          settle(d.tag, m.id);
          continue;
        }
        const TaskFunction* function = tasks.Find(m.task);
        if (!function) {
          ++counters.poison;
          std::fprintf(stderr, "trend worker: task %s: unknown task name %s\n", m.id.c_str(),
                       m.task.c_str());
          results.push_back(
              {m.id, false, nullptr,
               FailureOf("NotRegistered", fmt::format("no task named {} on this worker", m.task))});
          settle(d.tag, m.id);
          continue;
        }
        TaskContext context;
        auto last_progress = Clock::time_point{};
        context.progress = [&](std::size_t done, std::size_t total) {
          const auto now = Clock::now();
          if (done < total && now - last_progress < std::chrono::milliseconds(200)) return;
          last_progress = now;
          backend.Progress(m.id, done, total);
        };
        const auto start = Clock::now();
        FinalResult result{m.id, true, nullptr, {}};
        try {
          result.result = (*function)(m, context);
          ++counters.succeeded;
        } catch (const TaskError& e) {
          result.success = false;
          result.failure = FailureOf(e.type(), e.what());
        } catch (const std::exception& e) {
          result.success = false;
          result.failure = FailureOf("WorkerError", e.what());
        }
        if (!result.success) {
          ++counters.failed;
          std::fprintf(stderr, "trend worker: task %s %s: %s: %s\n", m.id.c_str(), m.task.c_str(),
                       result.failure.type.c_str(), result.failure.message.c_str());
        }
        const auto end = Clock::now();
        counters.busy_microseconds +=
            std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
        results.push_back(std::move(result));
        settle(d.tag, m.id);
        // Quick tasks are stored and acknowledged together, one round trip per batch; a slow
        // one at once, so that its client is not kept waiting for the rest of the batch.
        if (end - last_flush > std::chrono::milliseconds(2)) {
          flush();
          last_flush = Clock::now();
        }
      }
      flush(/*before_next_fetch=*/true);
    }
    hand_back_scheduled();
  } catch (const BrokerStopped&) {
    // Stopped while waiting out an outage: what was fetched stays unacknowledged and goes to
    // another worker after the visibility timeout.
  }
}

std::string WorkerMetricsText(const WorkerCounters& c, std::size_t processes) {
  std::string out;
  auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
  };
  counter("trend_worker_tasks_received_total", "Messages fetched from the broker.", c.received);
  counter("trend_worker_tasks_succeeded_total", "Tasks that returned a result.", c.succeeded);
  counter("trend_worker_tasks_failed_total", "Tasks that raised an error.", c.failed);
  counter("trend_worker_tasks_duplicate_total",
          "Deliveries not run: the result was already stored, or another worker held the task.",
          c.duplicates);
  counter("trend_worker_tasks_poison_total",
          "Messages that could not run (malformed, unknown task, missing fields).", c.poison);
  counter("trend_worker_tasks_expired_total", "Tasks not run: past their expires time.", c.expired);
  counter("trend_worker_tasks_restored_total",
          "Unacknowledged messages of dead workers put back on their queue.", c.restored);
  counter("trend_worker_tasks_requeued_total", "Prefetched messages handed back at shutdown.",
          c.requeued);
  out += fmt::format(
      "# HELP trend_worker_busy_seconds_total Time spent running tasks.\n"
      "# TYPE trend_worker_busy_seconds_total counter\ntrend_worker_busy_seconds_total {:.6f}\n",
      static_cast<double>(c.busy_microseconds.load()) / 1e6);
  out += fmt::format(
      "# HELP trend_worker_processes Worker processes.\n# TYPE trend_worker_processes "
      "gauge\ntrend_worker_processes {}\n",
      processes);
  return out;
}

}  // namespace trend::jobs
