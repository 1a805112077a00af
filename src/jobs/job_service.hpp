// Jobs as trend app offers them (POST/GET/DELETE /api/v1/jobs): an analysis, a multi-period
// backtest or a sweep, submitted now and fetched later, with Celery's states and progress.
// The service keeps the table of jobs and runs each on one of its threads through an
// executor: in this process (the embedded default) or spread over `trend worker` processes on
// a broker (job_executors.hpp). A revoked job stops at its next check, and on a broker its
// tasks not yet taken are revoked too.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/returns_frame.hpp"
#include "pipeline/run_guard.hpp"

namespace trend::jobs {

enum class JobKind { kRun, kMultiPeriod, kSweep };
const char* JobKindName(JobKind kind);  // "run", "multi_period", "sweep"
std::optional<JobKind> ParseJobKind(const std::string& name);

struct JobSpec {
  JobKind kind = JobKind::kRun;
  std::string config_text;                      // YAML, or JSON (which is YAML)
  std::string grid_text;                        // kSweep: the grid file's text
  std::shared_ptr<const ReturnsFrame> returns;  // as read from the dataset, Date column
  bool strict = false;                          // a warning fails the job (run kinds)
  std::string dataset_id, dataset_name;         // where the returns came from (the history)
};

// What a finished job made: a document (run kinds: `trend run --json`'s), or a sweep's two
// files (results.jsonl, results.csv).
struct JobResult {
  std::string json;  // run kinds: the document; kSweep: results.jsonl
  std::string csv;   // kSweep: results.csv
};

// Celery's state names: PENDING (queued), STARTED, SUCCESS, FAILURE, REVOKED.
enum class JobState { kPending, kStarted, kSuccess, kFailure, kRevoked };
const char* JobStateName(JobState state);

struct JobSnapshot {
  std::string id;
  JobKind kind = JobKind::kRun;
  JobState state = JobState::kPending;
  std::size_t done = 0, total = 0;  // progress, in the job's own units
  std::string unit;                 // "configurations", "periods", "analyses"
  std::string error_type, error;    // kFailure: Celery's exc_type and exc_message
  std::string revoke_reason;        // kRevoked
  std::chrono::system_clock::time_point submitted, started, finished;
  std::shared_ptr<const JobResult> result;  // kSuccess (null once evicted)
  std::size_t result_bytes = 0;
};

// What an executor gets to run a job: where to report progress, and how it is told to stop.
struct JobControl {
  std::function<void(std::size_t done, std::size_t total)> progress;
  const std::atomic<bool>* stop = nullptr;  // revoked: return soon (finished rows are kept)
  const RunGuard* guard = nullptr;          // limits, and Cancel on revoke
};

// Runs one job to its result. Throws TaskError (type, message) for a failure; returns nullopt
// when it stopped because it was revoked.
using JobExecutor = std::function<std::optional<JobResult>(const JobSpec&, JobControl&)>;

struct JobServiceOptions {
  std::size_t threads = 2;                       // jobs that run at once; the rest wait, PENDING
  std::size_t max_jobs = 1000;                   // jobs remembered; the oldest finished go first
  std::size_t result_budget_bytes = 256u << 20;  // results kept; the oldest are dropped first
  std::size_t max_pending = 10'000;              // Submit refuses more (the API answers 503)
  WorkLimits limits;                             // per job
  std::string where;                             // says where jobs run, for listings and logs
};

class JobService {
 public:
  JobService(JobServiceOptions options, JobExecutor executor);
  ~JobService();  // revokes what is running and waits for its threads
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // A new job's id (a UUID, as Celery's), or nullopt when max_pending jobs already wait.
  std::optional<std::string> Submit(JobSpec spec);
  std::optional<JobSnapshot> Find(const std::string& id) const;
  // Newest first.
  std::vector<JobSnapshot> List(std::size_t limit) const;
  // Revokes a job that has not finished: a PENDING one never starts, a STARTED one stops at
  // its next check. Returns its state after the call, nullopt for an unknown id.
  std::optional<JobState> Revoke(const std::string& id, const std::string& reason);
  // Called on the job's thread after each job succeeds (the API keeps run kinds in its
  // history). Set it before submitting jobs.
  void OnSuccess(std::function<void(const JobSnapshot&, const JobSpec&)> callback);

  const std::string& where() const { return options_.where; }
  struct Counts {
    std::size_t pending = 0, started = 0, succeeded = 0, failed = 0, revoked = 0;
  };
  Counts counts() const;

 private:
  struct Job;
  void Work();
  void Execute(const std::shared_ptr<Job>& job);
  void Forget();  // under mutex_: drops the oldest finished jobs and results past the budgets

  JobServiceOptions options_;
  JobExecutor executor_;
  std::function<void(const JobSnapshot&, const JobSpec&)> on_success_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool closing_ = false;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::deque<std::shared_ptr<Job>> order_;    // by submission, for List and Forget
  std::deque<std::shared_ptr<Job>> pending_;  // waiting for a thread
  std::size_t result_bytes_ = 0;
  Counts finished_;
  std::vector<std::thread> threads_;
};

}  // namespace trend::jobs
