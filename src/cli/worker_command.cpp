#include "cli/worker_command.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "cli/metrics_endpoint.hpp"
#include "error/input_error.hpp"
#include "jobs/broker.hpp"
#include "jobs/job_client.hpp"
#include "jobs/redis_client.hpp"
#include "jobs/result_backend.hpp"
#include "jobs/tasks.hpp"
#include "jobs/worker.hpp"

namespace trend {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_stop_signals{0};
// A second signal stops at once (the messages not yet acknowledged are redelivered): a single
// worker process exits from the handler, a supervisor kills its children from its loop. A
// supervised child finishes its task however many signals it gets, since a terminal's Ctrl-C
// reaches it as well as the supervisor's SIGTERM.
bool g_exit_on_second_signal = true;

void OnStopSignal(int) {
  g_stop = true;
  if (g_stop_signals.fetch_add(1) >= 1 && g_exit_on_second_signal) _exit(130);
}

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

std::vector<std::string> SplitQueues(const std::string& text) {
  std::vector<std::string> queues;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) queues.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  if (queues.empty()) throw InputError("--queues: give at least one queue name");
  return queues;
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// Counters in memory shared by the supervisor and its children, so that one /metrics shows
// them all (std::atomic of 64 bits is lock-free, hence valid across processes).
jobs::WorkerCounters* SharedCounters(std::size_t processes) {
  const std::size_t bytes = sizeof(jobs::WorkerCounters) * processes;
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  auto* counters = static_cast<jobs::WorkerCounters*>(memory);
  for (std::size_t i = 0; i < processes; ++i) new (&counters[i]) jobs::WorkerCounters();
  return counters;
}

std::string MetricsOf(const jobs::WorkerCounters* counters, std::size_t processes) {
  jobs::WorkerCounters total;
  for (std::size_t i = 0; i < processes; ++i) {
    total.received += counters[i].received;
    total.succeeded += counters[i].succeeded;
    total.failed += counters[i].failed;
    total.duplicates += counters[i].duplicates;
    total.poison += counters[i].poison;
    total.restored += counters[i].restored;
    total.expired += counters[i].expired;
    total.requeued += counters[i].requeued;
    total.busy_microseconds += counters[i].busy_microseconds;
  }
  return jobs::WorkerMetricsText(total, processes);
}

int RunOne(const jobs::WorkerOptions& worker, const WorkerCommandOptions& options,
           jobs::WorkerCounters& counters) {
  jobs::TaskRegistry tasks;
  const std::string& backend_url = worker.backend_url;
  auto datasets = std::make_shared<std::unique_ptr<jobs::RedisResultBackend>>();
  jobs::TrendTaskOptions trend_tasks;
  trend_tasks.limits = options.limits;
  trend_tasks.datasets = [datasets, backend_url](const std::string& id) {
    if (!*datasets)
      *datasets = std::make_unique<jobs::RedisResultBackend>(backend_url, jobs::BackendOptions{});
    return (*datasets)->Dataset(id);
  };
  jobs::AddTrendTasks(tasks, std::move(trend_tasks));
  if (options.bench_tasks) {
    const char* ledger = std::getenv("BENCH_LEDGER_URL");
    jobs::AddBenchTasks(tasks, ledger && *ledger ? ledger : backend_url);
  }
  jobs::RunWorker(worker, tasks, g_stop, counters);
  return 0;
}

}  // namespace

int WorkerCommand(const WorkerCommandOptions& options) {
  if (options.broker.empty()) throw InputError("trend worker needs --broker redis://host:port/db");
  jobs::WorkerOptions worker;
  worker.broker_url = options.broker;
  try {
    worker.backend_url = jobs::BackendUrlFor(options.broker, options.backend);
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
  worker.queues = SplitQueues(options.queues);
  worker.prefetch = std::max<std::size_t>(options.prefetch, 1);
  worker.visibility_timeout = std::chrono::seconds(options.visibility_timeout);
  std::string broker_shown, backend_shown;  // passwords masked
  try {
    broker_shown = jobs::BrokerDisplayUrl(worker.broker_url);
    backend_shown = jobs::ParseRedisUrl(worker.backend_url).url;
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
  const std::string base_name = options.name.empty() ? "trend@" + HostName() : options.name;
  const std::size_t processes = options.concurrency > 0
                                    ? options.concurrency
                                    : std::max(1u, std::thread::hardware_concurrency());
  jobs::WorkerCounters* counters = SharedCounters(processes);
  InstallStopHandlers();
  // A supervisor stays single-threaded, so that fork copies no lock another thread holds (an
  // allocator's lock so copied once hung a child for good): it serves /metrics from its loop.
  const bool supervising = processes > 1;
  g_exit_on_second_signal = !supervising;
  std::optional<MetricsEndpoint> metrics;
  if (options.metrics_port >= 0) {
    metrics.emplace(
        options.metrics_port, [counters, processes] { return MetricsOf(counters, processes); },
        supervising ? MetricsEndpoint::Serving::kCallerPolls
                    : MetricsEndpoint::Serving::kOwnThread);
    std::fprintf(stderr, "trend worker: metrics at http://127.0.0.1:%d/metrics\n", metrics->port());
  }
  std::fprintf(stderr, "trend worker: %s: %zu process%s consuming %s from %s, results to %s\n",
               base_name.c_str(), processes, processes == 1 ? "" : "es", options.queues.c_str(),
               broker_shown.c_str(), backend_shown.c_str());
  if (processes == 1) {
    worker.name = fmt::format("{}.{}", base_name, getpid());
    return RunOne(worker, options, counters[0]);
  }
  // The supervisor: one child per process slot, restarted if it dies; a stop signal is passed
  // on, and each child finishes its task and hands its prefetched messages back.
  std::vector<pid_t> children(processes, 0);
  auto start_child = [&](std::size_t slot) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      worker.name = fmt::format("{}.{}", base_name, getpid());
      // One process of the group waits on the queue; the others look every 20 ms while it is
      // empty (backing off to 160 ms while it stays so), so a message arriving alone wakes one
      // process (the others join in as soon as the queue has more than one process takes).
      if (slot > 0) worker.idle_poll = std::chrono::milliseconds(20);
      int status = 1;
      try {
        status = RunOne(worker, options, counters[slot]);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "trend worker: process %d: %s\n", getpid(), e.what());
      }
      std::fflush(stderr);
      _exit(status);
    }
    children[slot] = pid;
  };
  for (std::size_t slot = 0; slot < processes; ++slot) start_child(slot);
  bool forwarded = false;
  bool killed = false;
  std::size_t running = processes;
  while (running > 0) {
    if (g_stop && !forwarded) {
      std::fprintf(stderr,
                   "trend worker: stopping: each process finishes its task (signal again to stop "
                   "at once)\n");
      for (pid_t pid : children)
        if (pid > 0) kill(pid, SIGTERM);
      forwarded = true;
    }
    if (g_stop_signals >= 2 && !killed) {
      std::fprintf(stderr,
                   "trend worker: stopping at once; unacknowledged tasks are redelivered\n");
      for (pid_t pid : children)
        if (pid > 0) kill(pid, SIGKILL);
      killed = true;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (metrics)
        metrics->Poll(std::chrono::milliseconds(100));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (std::size_t slot = 0; slot < processes; ++slot) {
      if (children[slot] != pid) continue;
      children[slot] = 0;
      if (g_stop) {
        --running;
      } else {
        std::fprintf(stderr, "trend worker: process %d %s; starting another\n", pid,
                     WIFSIGNALED(status)
                         ? fmt::format("killed by signal {}", WTERMSIG(status)).c_str()
                         : fmt::format("exited with {}", WEXITSTATUS(status)).c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        start_child(slot);
      }
    }
  }
  return killed ? 130 : 0;
}

}  // namespace trend
