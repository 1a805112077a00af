#include "jobs/scatter_gather.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "error/input_error.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

struct Open {
  ScatterTask spec;
  std::size_t done = 0;  // units, from the worker's PROGRESS
  bool finished = false;
  json result;  // held from SUCCESS until every task before it is taken
};

// Celery stores exc_message as the exception's args (a list); older clients a string.
std::string ExceptionText(const json& result) {
  const std::string type = result.value("exc_type", std::string("Error"));
  const json message = result.value("exc_message", json());
  std::string text;
  if (message.is_string()) {
    text = message.get<std::string>();
  } else if (message.is_array() && !message.empty() && message[0].is_string()) {
    text = message[0].get<std::string>();
  } else {
    text = message.dump();
  }
  return type + ": " + text;
}

// Revokes the tasks not finished when the client leaves early, whatever the reason.
class RevokeLeftovers {
 public:
  RevokeLeftovers(RedisResultBackend& backend, const std::vector<Open>& tasks)
      : backend_(backend), tasks_(tasks) {}
  ~RevokeLeftovers() {
    std::vector<std::string> ids;
    for (const auto& t : tasks_) {
      if (!t.finished) ids.push_back(t.spec.task.id);
    }
    try {
      backend_.Revoke(ids, "the client stopped");
    } catch (const std::exception&) {
      // The backend is gone too: the tasks run, and their results expire unread.
    }
  }
  RevokeLeftovers(const RevokeLeftovers&) = delete;
  RevokeLeftovers& operator=(const RevokeLeftovers&) = delete;

 private:
  RedisResultBackend& backend_;
  const std::vector<Open>& tasks_;
};

// Reads what the workers stored for the unfinished tasks from `from` on.
void Poll(RedisResultBackend& backend, std::vector<Open>& tasks, std::size_t from) {
  constexpr std::size_t kBatch = 512;  // keys per MGET
  std::vector<Open*> open;
  for (std::size_t i = from; i < tasks.size(); ++i) {
    if (!tasks[i].finished) open.push_back(&tasks[i]);
  }
  for (std::size_t start = 0; start < open.size(); start += kBatch) {
    const std::size_t end = std::min(open.size(), start + kBatch);
    std::vector<std::string> ids;
    for (std::size_t i = start; i < end; ++i) ids.push_back(open[i]->spec.task.id);
    const auto metas = backend.GetMetas(ids);
    for (std::size_t i = start; i < end; ++i) {
      const auto& text = metas[i - start];
      if (!text) continue;
      Open& t = *open[i];
      json meta = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (!meta.is_object()) continue;
      const std::string status = meta.value("status", std::string());
      json& result = meta["result"];
      if (status == "PROGRESS" && result.is_object()) {
        t.done = std::min(t.spec.units, result.value("done", std::size_t{0}));
      } else if (status == "SUCCESS") {
        t.result = std::move(result);
        t.done = t.spec.units;
        t.finished = true;
      } else if (status == "FAILURE" || status == "REVOKED") {
        throw RemoteTaskError(
            status == "REVOKED" ? "TaskRevoked" : result.value("exc_type", std::string("Error")),
            fmt::format("{} failed on a worker (task {}): {}", t.spec.what, t.spec.task.id,
                        ExceptionText(result)));
      }
    }
  }
}

}  // namespace

std::size_t ScatterGather(Broker& broker, RedisResultBackend& backend,
                          std::vector<ScatterTask> specs, const ScatterOptions& options,
                          const std::function<void(std::size_t, const json&)>& take,
                          const std::function<void(std::size_t)>& progress) {
  std::vector<Open> tasks;
  tasks.reserve(specs.size());
  for (auto& spec : specs) {
    Open open;
    open.spec = std::move(spec);
    tasks.push_back(std::move(open));
  }
  const RevokeLeftovers revoke_on_exit(backend, tasks);
  for (const auto& t : tasks) broker.Publish(t.spec.task);

  const auto started = std::chrono::steady_clock::now();
  bool noticed = false;
  std::size_t next = 0;  // the first task whose result is not taken yet
  while (next < tasks.size()) {
    if (options.stop && options.stop->load()) break;
    Poll(backend, tasks, next);
    for (; next < tasks.size() && tasks[next].finished; ++next) {
      try {
        take(next, tasks[next].result);
      } catch (const std::invalid_argument& e) {
        throw InputError(fmt::format("{} (task {}): {}", tasks[next].spec.what,
                                     tasks[next].spec.task.id, e.what()));
      }
      tasks[next].result = json();
    }
    std::size_t done = 0;
    for (const auto& t : tasks) done += t.done;
    if (progress) progress(done);
    if (next == tasks.size()) break;
    if (!noticed && done == 0 && options.notice &&
        std::chrono::steady_clock::now() - started > options.idle_notice) {
      noticed = true;
      const std::string& queue = tasks.front().spec.task.queue;
      const std::size_t waiting = broker.QueueLength(queue);
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(options.idle_notice).count();
      if (waiting == 0) {
        options.notice(fmt::format(
            "the tasks were taken from queue {} but no result has reached {} in {} s: do the "
            "workers use the same result backend (--backend)?",
            queue, backend.url(), seconds));
      } else {
        options.notice(fmt::format(
            "no worker has started a task in {} s ({} waiting in queue {}): is `trend worker "
            "--broker {} --queues {}` running?",
            seconds, waiting, queue, broker.url(), queue));
      }
    }
    std::this_thread::sleep_for(options.poll);
  }
  return next;
}

}  // namespace trend::jobs
