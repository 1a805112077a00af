#include "jobs/job_service.hpp"

#include <fmt/format.h>

#include "jobs/celery_message.hpp"
#include "jobs/scatter_gather.hpp"
#include "jobs/tasks.hpp"

namespace trend::jobs {

const char* JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kRun:
      return "run";
    case JobKind::kMultiPeriod:
      return "multi_period";
    case JobKind::kSweep:
      return "sweep";
  }
  return "run";
}

std::optional<JobKind> ParseJobKind(const std::string& name) {
  for (JobKind kind : {JobKind::kRun, JobKind::kMultiPeriod, JobKind::kSweep}) {
    if (name == JobKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "PENDING";
    case JobState::kStarted:
      return "STARTED";
    case JobState::kSuccess:
      return "SUCCESS";
    case JobState::kFailure:
      return "FAILURE";
    case JobState::kRevoked:
      return "REVOKED";
  }
  return "PENDING";
}

struct JobService::Job {
  JobSpec spec;
  JobSnapshot snapshot;  // under the service's mutex
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> done{0}, total{0};  // progress, written by the executor's threads
  std::unique_ptr<RunGuard> guard;

  bool finished() const {
    return snapshot.state != JobState::kPending && snapshot.state != JobState::kStarted;
  }
};

JobService::JobService(JobServiceOptions options, JobExecutor executor)
    : options_(std::move(options)), executor_(std::move(executor)) {
  const std::size_t threads = std::max<std::size_t>(options_.threads, 1);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

JobService::~JobService() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (const auto& [id, job] : jobs_) {
      if (job->finished()) continue;
      job->stop = true;
      if (job->guard) job->guard->Cancel("the server is shutting down");
    }
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

std::optional<std::string> JobService::Submit(JobSpec spec) {
  auto job = std::make_shared<Job>();
  job->snapshot.id = MakeTaskId();
  job->snapshot.kind = spec.kind;
  job->snapshot.unit = spec.kind == JobKind::kSweep         ? "configurations"
                       : spec.kind == JobKind::kMultiPeriod ? "periods"
                                                            : "analyses";
  job->snapshot.submitted = std::chrono::system_clock::now();
  job->spec = std::move(spec);
  job->guard = std::make_unique<RunGuard>(options_.limits);
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= options_.max_pending) return std::nullopt;
    jobs_[job->snapshot.id] = job;
    order_.push_back(job);
    pending_.push_back(job);
    Forget();
  }
  wake_.notify_one();
  return job->snapshot.id;
}

void JobService::Work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !pending_.empty(); });
      if (closing_) return;
      job = std::move(pending_.front());
      pending_.pop_front();
      if (job->finished()) continue;  // revoked while it waited
      job->snapshot.state = JobState::kStarted;
      job->snapshot.started = std::chrono::system_clock::now();
    }
    Execute(job);
  }
}

void JobService::Execute(const std::shared_ptr<Job>& job) {
  JobControl control;
  control.stop = &job->stop;
  control.guard = job->guard.get();
  control.progress = [raw = job.get()](std::size_t done, std::size_t total) {
    raw->total = total;
    raw->done = done;
  };
  std::optional<JobResult> result;
  std::string error_type, error;
  try {
    result = executor_(job->spec, control);
  } catch (const TaskError& e) {
    error_type = e.type();
    error = e.what();
  } catch (const RemoteTaskError& e) {
    error_type = e.type();
    error = e.what();
  } catch (const RunCancelled&) {
    // Revoked: the state says so below.
  } catch (const InputError& e) {
    error_type = "InputError";
    error = e.what();
  } catch (const std::exception& e) {
    error_type = "InternalError";
    error = e.what();
  }
  std::shared_ptr<const JobResult> kept;
  if (result && error_type.empty() && !job->stop) {
    kept = std::make_shared<const JobResult>(std::move(*result));
    // Before SUCCESS is visible: whoever sees the job succeed finds it in the history too.
    std::function<void(const JobSnapshot&, const JobSpec&)> on_success;
    {
      std::lock_guard lock(mutex_);
      on_success = on_success_;
    }
    if (on_success) {
      JobSnapshot finished;
      finished.id = job->snapshot.id;
      finished.kind = job->snapshot.kind;
      finished.state = JobState::kSuccess;
      finished.result = kept;
      on_success(finished, job->spec);
    }
  }
  std::lock_guard lock(mutex_);
  JobSnapshot& s = job->snapshot;
  s.finished = std::chrono::system_clock::now();
  if (job->stop) {
    s.state = JobState::kRevoked;
    ++finished_.revoked;
  } else if (!kept) {
    s.state = JobState::kFailure;
    s.error_type = error_type.empty() ? "InternalError" : error_type;
    s.error = error.empty() ? "the job stopped without a result" : error;
    ++finished_.failed;
  } else {
    s.state = JobState::kSuccess;
    s.result_bytes = kept->json.size() + kept->csv.size();
    result_bytes_ += s.result_bytes;
    s.result = std::move(kept);
    ++finished_.succeeded;
  }
  s.done = job->done;
  s.total = job->total;
  job->guard.reset();
  Forget();
}

void JobService::OnSuccess(std::function<void(const JobSnapshot&, const JobSpec&)> callback) {
  std::lock_guard lock(mutex_);
  on_success_ = std::move(callback);
}

void JobService::Forget() {
  // Results first: the oldest finished results go until the rest fit the budget.
  for (auto it = order_.begin(); result_bytes_ > options_.result_budget_bytes && it != order_.end();
       ++it) {
    JobSnapshot& s = (*it)->snapshot;
    if (!s.result) continue;
    result_bytes_ -= s.result_bytes;
    s.result.reset();
  }
  // Then whole jobs, oldest finished first, past max_jobs; unfinished ones are never dropped.
  for (auto it = order_.begin(); order_.size() > options_.max_jobs && it != order_.end();) {
    if (!(*it)->finished()) {
      ++it;
      continue;
    }
    if ((*it)->snapshot.result) result_bytes_ -= (*it)->snapshot.result_bytes;
    jobs_.erase((*it)->snapshot.id);
    it = order_.erase(it);
  }
}

std::optional<JobSnapshot> JobService::Find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  JobSnapshot s = it->second->snapshot;
  if (!it->second->finished()) {
    s.done = it->second->done;
    s.total = it->second->total;
  }
  return s;
}

std::vector<JobSnapshot> JobService::List(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<JobSnapshot> out;
  for (auto it = order_.rbegin(); it != order_.rend() && out.size() < limit; ++it) {
    JobSnapshot s = (*it)->snapshot;
    s.result.reset();  // a listing carries no results
    if (!(*it)->finished()) {
      s.done = (*it)->done;
      s.total = (*it)->total;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<JobState> JobService::Revoke(const std::string& id, const std::string& reason) {
  std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  Job& job = *it->second;
  if (job.finished()) return job.snapshot.state;
  job.stop = true;
  job.snapshot.revoke_reason = reason;
  if (job.snapshot.state == JobState::kPending) {
    // Never started: revoked now; its thread skips it.
    job.snapshot.state = JobState::kRevoked;
    job.snapshot.finished = std::chrono::system_clock::now();
    job.guard.reset();
    ++finished_.revoked;
    return JobState::kRevoked;
  }
  if (job.guard) job.guard->Cancel("revoked: " + reason);
  return job.snapshot.state;  // STARTED until its executor returns
}

JobService::Counts JobService::counts() const {
  std::lock_guard lock(mutex_);
  Counts c = finished_;
  for (const auto& [id, job] : jobs_) {
    if (job->snapshot.state == JobState::kPending) ++c.pending;
    if (job->snapshot.state == JobState::kStarted) ++c.started;
  }
  return c;
}

}  // namespace trend::jobs
