// The job table of trend app's /api/v1/jobs: jobs wait their turn, a revoked one that waited
// never runs and one that runs stops at its next check, failures keep Celery's exc_type, and
// memory stays within the result budget and the job count.
#include "jobs/job_service.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "jobs/tasks.hpp"

namespace trend::jobs {
namespace {

using namespace std::chrono_literals;

// Waits until the job has one of the finished states (or 10 s have passed).
JobSnapshot AwaitFinished(const JobService& service, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    const JobSnapshot s = *service.Find(id);
    if (s.state != JobState::kPending && s.state != JobState::kStarted) return s;
    if (std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(1ms);
  }
}

// Runs until told to stop, reporting progress: what a long sweep does.
std::optional<JobResult> UntilStopped(const JobSpec&, JobControl& control) {
  for (std::size_t done = 0;; ++done) {
    control.progress(done, 1'000'000);
    if (control.stop->load()) return std::nullopt;
    std::this_thread::sleep_for(1ms);
  }
}

TEST(JobService, AWaitingJobRevokedNeverRunsAndARunningOneStops) {
  std::atomic<int> runs{0};
  JobServiceOptions options;
  options.threads = 1;
  JobService service(options, [&](const JobSpec& spec, JobControl& control) {
    ++runs;
    return UntilStopped(spec, control);
  });
  const std::string running = *service.Submit({});
  const std::string waiting = *service.Submit({});
  while (service.Find(running)->state != JobState::kStarted) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(service.Find(waiting)->state, JobState::kPending);
  EXPECT_EQ(service.Revoke(waiting, "test"), JobState::kRevoked);
  EXPECT_EQ(service.Revoke(running, "test"), JobState::kStarted);
  const JobSnapshot stopped = AwaitFinished(service, running);
  EXPECT_EQ(stopped.state, JobState::kRevoked);
  EXPECT_EQ(stopped.revoke_reason, "test");
  EXPECT_GT(stopped.done, 0u);
  EXPECT_EQ(stopped.total, 1'000'000u);
  std::this_thread::sleep_for(20ms);  // the thread is free: the revoked job must not start
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(service.Find(waiting)->state, JobState::kRevoked);
  EXPECT_EQ(service.Revoke(running, "again"), JobState::kRevoked);  // finished: unchanged
  EXPECT_FALSE(service.Revoke("no-such-job", "test"));
  EXPECT_EQ(service.counts().revoked, 2u);
}

TEST(JobService, FailuresKeepTheTaskErrorTypeAndMessage) {
  JobService service({}, [](const JobSpec&, JobControl&) -> std::optional<JobResult> {
    throw TaskError("ConfigError", "config: portfolio.rank.n: expected a whole number");
  });
  const JobSnapshot s = AwaitFinished(service, *service.Submit({}));
  EXPECT_EQ(s.state, JobState::kFailure);
  EXPECT_EQ(s.error_type, "ConfigError");
  EXPECT_EQ(s.error, "config: portfolio.rank.n: expected a whole number");
  EXPECT_FALSE(s.result);
}

TEST(JobService, ResultsStayWithinTheBudgetAndOldJobsAreForgotten) {
  JobServiceOptions options;
  options.threads = 1;
  options.result_budget_bytes = 2'500;
  options.max_jobs = 3;
  JobService service(options, [](const JobSpec&, JobControl&) -> std::optional<JobResult> {
    return JobResult{std::string(1'000, 'x'), ""};
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(*service.Submit({}));
    EXPECT_EQ(AwaitFinished(service, ids.back()).state, JobState::kSuccess);
  }
  EXPECT_FALSE(service.Find(ids[0])) << "the oldest of 4 finished jobs is forgotten (max 3)";
  EXPECT_FALSE(service.Find(ids[1])->result) << "its result is dropped: 3 of 1,000 bytes > 2,500";
  EXPECT_EQ(service.Find(ids[1])->state, JobState::kSuccess);
  EXPECT_TRUE(service.Find(ids[2])->result);
  EXPECT_EQ(service.Find(ids[3])->result->json.size(), 1'000u);
  const auto listed = service.List(10);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed.front().id, ids[3]);  // newest first
}

TEST(JobService, RefusesPastMaxPending) {
  JobServiceOptions options;
  options.threads = 1;
  options.max_pending = 1;
  JobService service(options, UntilStopped);
  const std::string running = *service.Submit({});
  while (service.Find(running)->state != JobState::kStarted) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(service.Submit({}));
  EXPECT_FALSE(service.Submit({})) << "one waits already";
}  // the destructor stops the running job

}  // namespace
}  // namespace trend::jobs
