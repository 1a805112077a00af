#include "jobs/result_backend.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <chrono>

namespace trend::jobs {

const std::string& ClaimLuaFunction() {
  static const std::string kFunction = R"lua(
local function claim(meta_key, claim_key, worker, ttl, redelivered)
  local meta = redis.call('GET', meta_key)
  local status = meta and string.match(meta, '"status":%s*"(%u+)"')
  if status == 'SUCCESS' or status == 'FAILURE' or status == 'REVOKED' then return 'done' end
  if redelivered then
    redis.call('SET', claim_key, worker, 'EX', ttl)
  elseif not redis.call('SET', claim_key, worker, 'NX', 'EX', ttl) then
    return 'busy'
  end
  return 'run'
end
)lua";
  return kFunction;
}

std::string ClaimKey(const std::string& id) {
  return "trend-task-claim-" + id;
}

namespace {

using nlohmann::json;

// One call claims a whole batch. KEYS: meta1, claim1, meta2, claim2, ... ARGV: worker, claim
// TTL (s), then one character per task: '1' when redelivered. Returns one word per task.
const std::string& ClaimScript() {
  static const std::string kScript = ClaimLuaFunction() + R"lua(
local out = {}
for i = 1, #KEYS / 2 do
  out[i] = claim(KEYS[2 * i - 1], KEYS[2 * i], ARGV[1], ARGV[2], string.sub(ARGV[3], i, i) == '1')
end
return out
)lua";
  return kScript;
}

std::string DatasetKey(const std::string& id) {
  return "trend-dataset-" + id;
}

// datetime.utcnow().isoformat(), as Celery writes date_done.
std::string UtcNowIso() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1'000'000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}", std::chrono::floor<std::chrono::seconds>(now),
                     micros);
}

std::string Meta(const std::string& id, const char* status, const json& result,
                 const json& traceback, bool ready) {
  // Written field by field in the order a JSON object's keys sort in: the result, which may be
  // a whole analysis document, is dumped where it stands instead of being copied into a meta
  // object first (the copy cost as much as the dump).
  const auto text = [](const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  std::string meta = R"({"children":[],"date_done":)";
  meta += ready ? text(UtcNowIso()) : "null";
  meta += R"(,"result":)";
  meta += text(result);
  meta += R"(,"status":)";
  meta += text(status);
  meta += R"(,"task_id":)";
  meta += text(id);
  meta += R"(,"traceback":)";
  meta += text(traceback);
  meta += "}";
  return meta;
}

}  // namespace

std::string MetaKey(const std::string& id) {
  return "celery-task-meta-" + id;
}

std::string SuccessMeta(const std::string& id, const json& result) {
  return Meta(id, "SUCCESS", result, nullptr, true);
}

std::string FailureMeta(const std::string& id, const TaskFailure& failure) {
  // exc_module null: Celery's client makes an exception class of that name.
  const json exception = {{"exc_type", failure.type},
                          {"exc_message", json::array({failure.message})},
                          {"exc_module", nullptr}};
  return Meta(id, "FAILURE", exception,
              failure.traceback.empty() ? json(nullptr) : json(failure.traceback), true);
}

std::string ProgressMeta(const std::string& id, std::size_t done, std::size_t total) {
  return Meta(id, "PROGRESS", {{"done", done}, {"total", total}}, nullptr, false);
}

std::string RevokedMeta(const std::string& id, const std::string& reason) {
  const json exception = {{"exc_type", "TaskRevokedError"},
                          {"exc_message", json::array({reason})},
                          {"exc_module", "celery.exceptions"}};
  return Meta(id, "REVOKED", exception, nullptr, true);
}

RedisResultBackend::RedisResultBackend(const std::string& url, BackendOptions options)
    : options_(std::move(options)),
      redis_(ParseRedisUrl(url), options_.timeout, "result backend", options_.stop) {}

std::vector<ClaimOutcome> RedisResultBackend::Claim(const std::vector<ClaimRequest>& tasks) {
  if (tasks.empty()) return {};
  const std::string ttl = std::to_string(options_.claim_ttl.count());
  std::vector<std::string> keys;
  std::string redelivered;
  keys.reserve(2 * tasks.size());
  for (const auto& task : tasks) {
    keys.push_back(MetaKey(task.id));
    keys.push_back(ClaimKey(task.id));
    redelivered.push_back(task.redelivered ? '1' : '0');
  }
  const std::vector<std::string_view> key_views(keys.begin(), keys.end());
  const RedisReply reply = redis_.Run([&](RedisClient& c) {
    RedisReply r = c.Script(ClaimScript(), key_views, {options_.worker, ttl, redelivered});
    CheckReply(r, "claiming tasks");
    if (r.elements.size() != tasks.size()) throw RedisError("claiming tasks: wrong reply");
    return r;
  });
  std::vector<ClaimOutcome> outcomes;
  outcomes.reserve(tasks.size());
  for (const auto& e : reply.elements) {
    outcomes.push_back(e.text == "done"   ? ClaimOutcome::kDone
                       : e.text == "busy" ? ClaimOutcome::kBusy
                                          : ClaimOutcome::kRun);
  }
  return outcomes;
}

std::vector<std::vector<std::string>> RedisResultBackend::StoreCommands(
    const std::vector<FinalResult>& results) const {
  const std::string expires = std::to_string(options_.result_expires.count());
  std::vector<std::vector<std::string>> commands;
  commands.reserve(3 * results.size());
  for (const auto& r : results) {
    std::string key = MetaKey(r.id);
    std::string meta = r.success ? SuccessMeta(r.id, r.result) : FailureMeta(r.id, r.failure);
    commands.push_back({"SET", key, meta, "EX", expires});
    commands.push_back({"PUBLISH", std::move(key), std::move(meta)});
    commands.push_back({"DEL", ClaimKey(r.id)});
  }
  return commands;
}

void RedisResultBackend::Store(const std::vector<FinalResult>& results) {
  if (!results.empty()) Send(StoreCommands(results));
}

void RedisResultBackend::Send(const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return;
  redis_.Run([&](RedisClient& c) {
    for (const auto& command : commands)
      c.Append(std::vector<std::string_view>(command.begin(), command.end()));
    for (const auto& reply : c.Flush()) CheckReply(reply, "storing results");
    return 0;
  });
}

void RedisResultBackend::StoreMeta(const std::string& id, const std::string& meta) {
  StoreMetas({{id, meta}}, "storing a task state");
}

void RedisResultBackend::StoreMetas(const std::vector<std::pair<std::string, std::string>>& metas,
                                    const char* what) {
  if (metas.empty()) return;
  const std::string expires = std::to_string(options_.result_expires.count());
  redis_.Run([&](RedisClient& c) {
    for (const auto& [id, meta] : metas) {
      const std::string key = MetaKey(id);
      c.Append({"SET", key, meta, "EX", expires});
      c.Append({"PUBLISH", key, meta});
    }
    for (const auto& reply : c.Flush()) CheckReply(reply, what);
    return 0;
  });
}

void RedisResultBackend::Revoke(const std::vector<std::string>& ids, const std::string& reason) {
  std::vector<std::pair<std::string, std::string>> metas;
  metas.reserve(ids.size());
  for (const auto& id : ids) metas.emplace_back(id, RevokedMeta(id, reason));
  StoreMetas(metas, "revoking tasks");
}

void RedisResultBackend::Progress(const std::string& id, std::size_t done, std::size_t total) {
  StoreMeta(id, ProgressMeta(id, done, total));
}

void RedisResultBackend::Touch(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  const std::string ttl = std::to_string(options_.claim_ttl.count());
  redis_.Run([&](RedisClient& c) {
    for (const auto& id : ids) c.Append({"EXPIRE", ClaimKey(id), ttl});
    for (const auto& reply : c.Flush()) CheckReply(reply, "refreshing claims");
    return 0;
  });
}

std::optional<json> RedisResultBackend::Get(const std::string& id) {
  const RedisReply reply = redis_.Run([&](RedisClient& c) {
    RedisReply r = c.Command({"GET", MetaKey(id)});
    CheckReply(r, "reading a result");
    return r;
  });
  if (reply.nil()) return std::nullopt;
  return json::parse(reply.text);
}

std::vector<std::optional<std::string>> RedisResultBackend::GetMetas(
    const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  std::vector<std::string> keys = {"MGET"};
  for (const auto& id : ids) keys.push_back(MetaKey(id));
  const std::vector<std::string_view> args(keys.begin(), keys.end());
  const RedisReply reply = redis_.Run([&](RedisClient& c) {
    RedisReply r = c.Command(args);
    CheckReply(r, "reading results");
    if (r.elements.size() != ids.size()) throw RedisError("reading results: wrong reply");
    return r;
  });
  std::vector<std::optional<std::string>> metas;
  metas.reserve(ids.size());
  for (const auto& e : reply.elements) {
    metas.push_back(e.nil() ? std::nullopt : std::optional<std::string>(e.text));
  }
  return metas;
}

std::optional<std::string> RedisResultBackend::Dataset(const std::string& id) {
  const RedisReply reply = redis_.Run([&](RedisClient& c) {
    RedisReply r = c.Command({"GET", DatasetKey(id)});
    CheckReply(r, "reading a dataset");
    return r;
  });
  if (reply.nil()) return std::nullopt;
  return reply.text;
}

void RedisResultBackend::PutDataset(const std::string& id, const std::string& csv) {
  redis_.Run([&](RedisClient& c) {
    // A week, refreshed by every put: datasets are re-sent by clients that use them.
    CheckReply(c.Command({"SET", DatasetKey(id), csv, "EX", "604800"}), "storing a dataset");
    return 0;
  });
}

}  // namespace trend::jobs
