// /api/v1/jobs: the requests are checked here, as POST /api/v1/runs checks them (the config and
// grid parse, the dataset exists), so a bad job is a 422 now rather than a FAILURE later.
#include <fmt/format.h>

#include <ctime>
#include <set>

#include "config/config_loader.hpp"
#include "config/sweep_grid.hpp"
#include "jobs/tasks.hpp"
#include "server/api.hpp"
#include "server/api_response.hpp"

namespace trend {
namespace {

using nlohmann::json;

json JobJson(const jobs::JobSnapshot& s) {
  const std::string self = "/api/v1/jobs/" + s.id;
  json links = {{"self", self}};
  if (s.state == jobs::JobState::kSuccess && s.result) {
    links["result"] = self + "/result";
    if (s.kind == jobs::JobKind::kSweep) links["result_csv"] = self + "/result?format=csv";
  }
  json progress = {{"done", s.done}, {"total", s.total}, {"unit", s.unit}};
  progress["fraction"] = s.total > 0 ? static_cast<double>(s.done) / static_cast<double>(s.total)
                                     : (s.state == jobs::JobState::kSuccess ? 1.0 : 0.0);
  json out = {{"id", s.id},
              {"kind", jobs::JobKindName(s.kind)},
              {"state", jobs::JobStateName(s.state)},
              {"progress", progress},
              {"submitted", IsoTimeUtc(s.submitted)},
              {"links", links}};
  if (!IsoTimeUtc(s.started).empty()) out["started"] = IsoTimeUtc(s.started);
  if (!IsoTimeUtc(s.finished).empty()) out["finished"] = IsoTimeUtc(s.finished);
  if (s.state == jobs::JobState::kFailure)
    out["error"] = {{"type", s.error_type}, {"message", s.error}};
  if (s.state == jobs::JobState::kRevoked && !s.revoke_reason.empty())
    out["revoked"] = s.revoke_reason;
  if (s.state == jobs::JobState::kSuccess && !s.result && s.result_bytes > 0)
    out["result_dropped"] = true;
  return out;
}

// An object or a YAML string: the text the engine parses (JSON is YAML).
std::optional<std::string> TextOf(const json& node) {
  if (node.is_string()) return node.get<std::string>();
  if (node.is_object()) return node.dump();
  return std::nullopt;
}

HttpResponse NoJobs(const HttpRequest& request) {
  return Error(404, "not found", "jobs are not enabled on this server", request.path);
}

}  // namespace

HttpResponse TrendApi::PostJob(const HttpRequest& request) {
  if (!options_.jobs) return NoJobs(request);
  if (auto refused = RequireContentType(request, {"application/json"})) return *refused;
  json body;
  if (auto refused = ParseJsonBody(request, body)) return *refused;
  if (!body.is_object() || !body.contains("config")) {
    return Error(422, "invalid request",
                 "expected {kind: run | multi_period | sweep, config, dataset | csv, grid}",
                 request.path);
  }
  for (const auto& [key, value] : body.items()) {
    static const std::set<std::string> kKnown = {"kind", "config", "dataset",      "dataset_name",
                                                 "csv",  "grid",   "multi_period", "strict"};
    if (!kKnown.count(key)) {
      return Error(
          422, "invalid request",
          fmt::format("unknown field '{}' (kind, config, dataset, dataset_name, csv, grid, strict)",
                      key),
          request.path);
    }
  }
  jobs::JobSpec spec;
  const json kind = body.value("kind", json("run"));
  const auto parsed_kind = kind.is_string() ? jobs::ParseJobKind(kind.get<std::string>())
                                            : std::optional<jobs::JobKind>();
  if (!parsed_kind) {
    return Error(422, "invalid request", "kind: expected run, multi_period or sweep", request.path);
  }
  spec.kind = *parsed_kind;
  for (const char* flag : {"multi_period", "strict"}) {
    if (body.contains(flag) && !body[flag].is_boolean()) {
      return Error(422, "invalid request", std::string(flag) + ": expected true or false",
                   request.path);
    }
  }
  // POST /api/v1/runs's flag, accepted here too.
  if (body.value("multi_period", false) && spec.kind == jobs::JobKind::kRun)
    spec.kind = jobs::JobKind::kMultiPeriod;
  spec.strict = body.value("strict", false);
  const auto config_text = TextOf(body["config"]);
  if (!config_text) {
    return Error(422, "invalid request", "config: expected an object or a YAML string",
                 request.path);
  }
  spec.config_text = *config_text;
  LoadedConfig config;
  try {
    config = jobs::ParseTaskConfig(spec.config_text, "config");
  } catch (const jobs::TaskError& e) {
    return Error(422, "invalid config", e.what(), request.path);
  }
  const bool multi = spec.kind == jobs::JobKind::kMultiPeriod;
  if (multi && !config.settings.multi_period) {
    return Error(422, "invalid config",
                 "config: kind multi_period needs a multi_period section (frequency, "
                 "in_sample_len, out_sample_len, start, end)",
                 request.path);
  }
  if (spec.kind == jobs::JobKind::kSweep) {
    const auto grid_text = body.contains("grid") ? TextOf(body["grid"]) : std::nullopt;
    if (!grid_text) {
      return Error(422, "invalid request", "grid: a sweep needs a grid (an object or YAML string)",
                   request.path);
    }
    spec.grid_text = *grid_text;
    try {
      const SweepGrid grid = ParseSweepGrid(spec.grid_text, "grid", config, "");
      if (grid.size() == 0) return Error(422, "invalid grid", "grid: it is empty", request.path);
      if (grid.LacksSchedule(config.settings)) {
        return Error(422, "invalid grid",
                     "grid: mode: multi_period needs a multi_period section in config",
                     request.path);
      }
    } catch (const InputError& e) {
      return Error(422, "invalid grid", e.what(), request.path);
    }
  } else if (body.contains("grid")) {
    return Error(422, "invalid request", "grid: only a sweep takes a grid", request.path);
  }
  if (spec.strict && spec.kind != jobs::JobKind::kSweep) {
    const auto warnings =
        ConfigWarnings(config, multi ? RunMode::kMultiPeriod : RunMode::kSinglePeriod);
    if (!warnings.empty()) {
      return Json(422, {{"error", "strict"},
                        {"detail", warnings.front()},
                        {"warnings", warnings},
                        {"path", request.path}});
    }
  }
  std::shared_ptr<const StoredDataset> dataset;
  if (auto refused = ResolveDataset(body, request, dataset)) return *refused;
  // The stored dataset holds on to its frame while the job needs it, evicted or not.
  spec.returns = std::shared_ptr<const ReturnsFrame>(dataset, &dataset->frame);
  spec.dataset_id = dataset->id;
  if (body.contains("dataset_name") && body["dataset_name"].is_string())
    spec.dataset_name = body["dataset_name"].get<std::string>();
  const auto id = options_.jobs->Submit(std::move(spec));
  if (!id) {
    HttpResponse busy =
        Error(503, "too many jobs", "too many jobs are waiting; try again later", request.path);
    busy.headers["Retry-After"] = "30";
    return busy;
  }
  const auto snapshot = options_.jobs->Find(*id);
  HttpResponse response = Json(202, snapshot ? JobJson(*snapshot) : json{{"id", *id}});
  response.headers["Location"] = "/api/v1/jobs/" + *id;
  return response;
}

HttpResponse TrendApi::ListJobs(const HttpRequest& request) {
  if (!options_.jobs) return NoJobs(request);
  std::size_t limit = 100;
  const std::string_view query = request.query;
  if (query.rfind("limit=", 0) == 0) {
    const std::string value(query.substr(6));
    const bool digits = !value.empty() && value.size() <= 4 &&
                        value.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(value) == 0 || std::stoul(value) > 1000)
      return Error(400, "bad request", "limit: expected 1 to 1000", request.path);
    limit = std::stoul(value);
  } else if (!query.empty()) {
    return Error(400, "bad request", "unknown parameter (limit)", request.path);
  }
  json list = json::array();
  for (const auto& s : options_.jobs->List(limit)) list.push_back(JobJson(s));
  const auto c = options_.jobs->counts();
  return Json(200, {{"jobs", list},
                    {"where", options_.jobs->where()},
                    {"counts",
                     {{"PENDING", c.pending},
                      {"STARTED", c.started},
                      {"SUCCESS", c.succeeded},
                      {"FAILURE", c.failed},
                      {"REVOKED", c.revoked}}}});
}

HttpResponse TrendApi::GetJob(std::string_view id_and_more, const HttpRequest& request) {
  if (!options_.jobs) return NoJobs(request);
  const std::size_t slash = id_and_more.find('/');
  const std::string id(id_and_more.substr(0, slash));
  const std::string_view rest =
      slash == std::string_view::npos ? std::string_view() : id_and_more.substr(slash + 1);
  if (!rest.empty() && rest != "result")
    return Error(404, "not found", "no such endpoint; see /api/v1/openapi.json", request.path);
  const auto s = options_.jobs->Find(id);
  if (!s)
    return Error(404, "not found", "no job with id " + id + " (unknown or forgotten)",
                 request.path);
  if (rest.empty()) return Json(200, JobJson(*s));
  if (s->state != jobs::JobState::kSuccess) {
    return Json(409, {{"error", "no result"},
                      {"detail", fmt::format("the job is {}", jobs::JobStateName(s->state))},
                      {"state", jobs::JobStateName(s->state)},
                      {"path", request.path}});
  }
  if (!s->result) {
    return Error(410, "gone",
                 "the result was dropped to keep within the server's --job-mb; submit the job "
                 "again",
                 request.path);
  }
  std::string format = "jsonl";
  if (request.query == "format=csv") {
    format = "csv";
  } else if (!request.query.empty() && request.query != "format=jsonl") {
    return Error(400, "bad request", "format: expected jsonl or csv", request.path);
  }
  HttpResponse response;
  response.status = 200;
  // The stored text itself goes out, not a copy (a sweep's rows can be large).
  if (s->kind != jobs::JobKind::kSweep) {
    response.content_type = "application/json";
    response.shared_body = std::shared_ptr<const std::string>(s->result, &s->result->json);
    return response;
  }
  const bool csv = format == "csv";
  response.content_type = csv ? "text/csv" : "application/x-ndjson";
  response.shared_body =
      std::shared_ptr<const std::string>(s->result, csv ? &s->result->csv : &s->result->json);
  response.headers["Content-Disposition"] =
      fmt::format("attachment; filename=\"results.{}\"", csv ? "csv" : "jsonl");
  return response;
}

HttpResponse TrendApi::DeleteJob(std::string_view id_view, const HttpRequest& request) {
  if (!options_.jobs) return NoJobs(request);
  const std::string id(id_view);
  const auto state = options_.jobs->Revoke(id, "DELETE by a client");
  if (!state) return Error(404, "not found", "no job with id " + id, request.path);
  const auto s = options_.jobs->Find(id);
  return Json(*state == jobs::JobState::kStarted ? 202 : 200,
              s ? JobJson(*s) : json{{"id", id}, {"state", jobs::JobStateName(*state)}});
}

}  // namespace trend
