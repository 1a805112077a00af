// Celery's Redis result backend: a task's state and result as JSON at celery-task-meta-<id>
// (expiring after a day, as Celery's result_expires), published on the channel of the same
// name, which is what AsyncResult.get() waits on.
//
// Effects once under at-least-once delivery: before running a task, a worker claims its id.
// The claim answers "done" when a final result is already stored (a duplicate delivery, or a
// redelivery after a worker died between storing and acknowledging), "busy" when another live
// worker holds it (the same message sent twice), and "run" otherwise. A redelivered message
// takes the claim over: its first worker is presumed dead, since its message would otherwise
// still be refreshed. Claims expire with the visibility timeout unless refreshed.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jobs/resilient_redis.hpp"

namespace trend::jobs {

enum class ClaimOutcome { kRun, kDone, kBusy };

// A task's claim: who runs it, so that a duplicate delivery is not run twice. The key, and the
// decision as a Lua function for every script that claims (the backend's own, and a broker's
// fetch when the backend shares its server): claim(meta_key, claim_key, worker, ttl,
// redelivered) returns 'done' (a final result exists), 'busy' (another live worker holds it)
// or 'run' (claimed).
std::string ClaimKey(const std::string& id);
const std::string& ClaimLuaFunction();

struct ClaimRequest {
  std::string id;
  bool redelivered = false;
};

struct TaskFailure {
  std::string type;     // exc_type: what Python raises from AsyncResult.get()
  std::string message;  // exc_message
  std::string traceback;
};

struct FinalResult {
  std::string id;
  bool success = true;
  nlohmann::json result;  // success
  TaskFailure failure;    // otherwise
};

// The JSON Celery stores: status, result, traceback, children, date_done, task_id.
std::string SuccessMeta(const std::string& id, const nlohmann::json& result);
std::string FailureMeta(const std::string& id, const TaskFailure& failure);
std::string ProgressMeta(const std::string& id, std::size_t done, std::size_t total);
std::string RevokedMeta(const std::string& id, const std::string& reason);
std::string MetaKey(const std::string& id);

struct BackendOptions {
  std::chrono::seconds result_expires{86'400};
  std::chrono::seconds claim_ttl{3600};  // the broker's visibility timeout
  std::chrono::milliseconds timeout{5000};
  std::string worker;  // this worker's name, kept in its claims
  const std::atomic<bool>* stop = nullptr;
};

class RedisResultBackend {
 public:
  RedisResultBackend(const std::string& url, BackendOptions options);

  std::vector<ClaimOutcome> Claim(const std::vector<ClaimRequest>& tasks);
  // Stores final results (SUCCESS / FAILURE) and releases their claims, in one round trip.
  void Store(const std::vector<FinalResult>& results);
  // The commands Store sends, for a broker on the same server to send (SendWithNextFetch).
  std::vector<std::vector<std::string>> StoreCommands(
      const std::vector<FinalResult>& results) const;
  void Send(const std::vector<std::vector<std::string>>& commands);  // in one round trip
  const RedisEndpoint& endpoint() const { return redis_.endpoint(); }
  void StoreMeta(const std::string& id, const std::string& meta);
  void Progress(const std::string& id, std::size_t done, std::size_t total);
  void Touch(const std::vector<std::string>& ids);
  // The stored meta, parsed; nullopt when there is none.
  std::optional<nlohmann::json> Get(const std::string& id);
  // The stored metas of many tasks as text, in one round trip; nullopt where there is none.
  std::vector<std::optional<std::string>> GetMetas(const std::vector<std::string>& ids);
  // Marks tasks REVOKED: a worker that has not started one skips it (the claim answers
  // "done"), so a client that gives up does not leave its work running.
  void Revoke(const std::vector<std::string>& ids, const std::string& reason);

  // Datasets travel once: stored by content hash, fetched by id.
  std::optional<std::string> Dataset(const std::string& id);
  void PutDataset(const std::string& id, const std::string& csv);

  const std::string& url() const { return redis_.endpoint().url; }

 private:
  void StoreMetas(const std::vector<std::pair<std::string, std::string>>& metas, const char* what);

  BackendOptions options_;
  ResilientRedis redis_;
};

}  // namespace trend::jobs
