// /api/v1/runs: the history of runs (paged, newest first), one run's result and request, and
// its files as `trend run --out` writes them (csv, xlsx, txt, json) or as the report of
// `trend report` (html, pdf), zipped when there are several.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/config_loader.hpp"
#include "config/yaml_json.hpp"
#include "error/input_error.hpp"
#include "report/export_files.hpp"
#include "report/exports.hpp"
#include "report/html_report.hpp"
#include "report/multi_period_report.hpp"
#include "report/pdf_printer.hpp"
#include "report/zip_archive.hpp"
#include "server/api.hpp"
#include "server/api_response.hpp"

namespace trend {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultPageSize = 20, kMaxPageSize = 200;

std::optional<std::size_t> Count(const std::map<std::string, std::string>& query,
                                 const std::string& name, std::size_t fallback, std::size_t most) {
  const auto it = query.find(name);
  if (it == query.end()) return fallback;
  const std::string& text = it->second;
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::size_t value = std::stoul(text);
  return value <= most ? std::optional<std::size_t>(value) : std::nullopt;
}

json RecordJson(const RunRecord& record) {
  json out = record.ToJson();
  out["links"] = {{"self", "/api/v1/runs/" + record.id},
                  {"request", "/api/v1/runs/" + record.id + "/request"},
                  {"export", "/api/v1/runs/" + record.id + "/export"},
                  {"page", "/?run=" + record.id}};
  return out;
}

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

std::string MediaTypeOf(const std::string& extension) {
  if (extension == ".csv") return "text/csv; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".pdf") return "application/pdf";
  if (extension == ".xlsx")
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "application/zip";
}

// A name safe in a header and on any disk: export.filename is the client's text.
std::string SafeFilename(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    out += plain ? c : '_';
  }
  return out.empty() || out.front() == '.' ? "analysis" + out : out;
}

HttpResponse Attachment(std::string bytes, const std::string& name) {
  const std::string filename = SafeFilename(name);
  HttpResponse response;
  response.status = 200;
  response.content_type = MediaTypeOf(std::filesystem::path(filename).extension().string());
  response.body = std::move(bytes);
  response.headers["Content-Disposition"] = "attachment; filename=\"" + filename + "\"";
  return response;
}

}  // namespace

void TrendApi::RecordRun(RunRecord record, const std::shared_ptr<const std::string>& document) {
  record.created = IsoTimeUtc(std::chrono::system_clock::now());
  try {
    history_.Record(std::move(record), document);
  } catch (const std::exception& e) {
    // The run itself succeeded and is cached; only its place in the history is lost.
    std::fprintf(stderr, "trend app: the run history could not be written: %s\n", e.what());
  }
}

void TrendApi::RecordJob(const jobs::JobSnapshot& job, const jobs::JobSpec& spec) {
  if (job.kind == jobs::JobKind::kSweep || !job.result || !IsRunId(job.id)) return;
  auto document = std::make_shared<const std::string>(job.result->json);
  const json doc = json::parse(*document, nullptr, false);
  RunRecord record;
  record.id = job.id;
  record.mode = job.kind == jobs::JobKind::kMultiPeriod ? "multi_period" : "single";
  record.dataset_id = spec.dataset_id;
  record.dataset_name = spec.dataset_name;
  record.config_text = spec.config_text;
  record.summary = ConfigSummary(YamlTextToJson(spec.config_text));
  record.headline = HeadlineStatistics(doc);
  if (doc.is_object() && doc.contains("warnings") && doc["warnings"].is_array())
    record.warnings = doc["warnings"].get<std::vector<std::string>>();
  RecordRun(std::move(record), document);
}

HttpResponse TrendApi::ListRuns(const HttpRequest& request) {
  const auto query = QueryParameters(request.query);
  for (const auto& [name, value] : query) {
    if (name != "offset" && name != "limit")
      return Error(400, "bad request", "unknown parameter '" + name + "' (offset, limit)",
                   request.path);
  }
  const auto offset = Count(query, "offset", 0, 1'000'000'000);
  const auto limit = Count(query, "limit", kDefaultPageSize, kMaxPageSize);
  if (!offset) return Error(400, "bad request", "offset: expected a whole number", request.path);
  if (!limit || *limit == 0)
    return Error(400, "bad request", fmt::format("limit: expected 1 to {}", kMaxPageSize),
                 request.path);
  const RunHistory::Page page = history_.List(*offset, *limit);
  json runs = json::array();
  for (const auto& record : page.runs) {
    json item = RecordJson(record);
    item.erase("config");  // the listing stays small; /request has it
    runs.push_back(std::move(item));
  }
  json out = {{"runs", runs}, {"total", page.total}, {"offset", *offset}, {"limit", *limit}};
  if (*offset + page.runs.size() < page.total) {
    out["next"] =
        fmt::format("/api/v1/runs?offset={}&limit={}", *offset + page.runs.size(), *limit);
  }
  out["persistent"] = !options_.run_dir.empty();
  return Json(200, out);
}

HttpResponse TrendApi::GetRun(std::string_view id_and_more, const HttpRequest& request) {
  const std::size_t slash = id_and_more.find('/');
  const std::string id(id_and_more.substr(0, slash));
  const std::string rest(slash == std::string_view::npos ? std::string_view()
                                                         : id_and_more.substr(slash + 1));
  if (!rest.empty() && rest != "request" && rest != "export")
    return Error(404, "not found", "no such endpoint; see /api/v1/openapi.json", request.path);
  if (!IsRunId(id)) return Error(404, "not found", "no run with id " + id, request.path);
  if (rest.empty()) {
    std::string source;
    if (auto hit = CachedRun(id, &source)) {
      HttpResponse response{200, "application/json", "", {{"X-Cache", source}}, nullptr};
      response.shared_body = std::move(hit);
      return response;
    }
    if (auto kept = history_.Document(id)) {
      HttpResponse response{200, "application/json", "", {{"X-Cache", "history"}}, nullptr};
      response.shared_body = std::move(kept);
      return response;
    }
    return Error(404, "not found", "no finished run with id " + id + " (unknown or evicted)",
                 request.path);
  }
  const auto record = history_.Find(id);
  if (!record) {
    return Error(404, "not found",
                 "no run with id " + id +
                     " in the history (start trend app with --data-dir to keep runs over a "
                     "restart)",
                 request.path);
  }
  if (rest == "request") return Json(200, RecordJson(*record));
  return ExportRun(*record, request);
}

// The files are made again from the run's request: the engine gives the same numbers to the
// bit, so nothing but the document needs keeping.
HttpResponse TrendApi::ExportRun(const RunRecord& record, const HttpRequest& request) {
  const auto query = QueryParameters(request.query);
  static const std::set<std::string> kFormats = {"csv", "xlsx", "txt", "json", "html", "pdf"};
  const auto it = query.find("format");
  if (it == query.end() || !kFormats.count(it->second)) {
    return Error(400, "bad request", "format: expected csv, xlsx, txt, json, html or pdf",
                 request.path);
  }
  const std::string format = it->second;
  const auto dataset = datasets_.Find(record.dataset_id);
  if (!dataset) {
    return Error(410, "gone",
                 "the run's dataset " + record.dataset_id +
                     " is no longer on the server; upload it again and rerun",
                 request.path);
  }
  const bool multi = record.mode == "multi_period";
  try {
    LoadedConfig config = ParseConfig(record.config_text, "config", "");
    std::optional<RunGuard::Clock::time_point> deadline;
    if (options_.run_timeout.count() > 0) deadline = RunGuard::Clock::now() + options_.run_timeout;
    RunGuard guard(options_.limits, deadline);
    const ActiveRun active(*this, guard);
    const ComputedRun run = Compute(config.settings, *dataset, multi, guard, ResolveRun(multi));
    const ScratchDirectory scratch("trend-export");
    ExportSettings exports = config.settings.export_settings;
    exports.directory = scratch.path().string();
    std::vector<std::string> written;
    if (format == "html" || format == "pdf") {
      ReportContext context;
      context.title = multi ? "Multi-period backtest" : "Trend analysis";
      context.dataset = record.dataset_name.empty() ? "dataset " + record.dataset_id.substr(0, 12)
                                                    : record.dataset_name;
      context.config_text = record.config_text;
      context.generated = record.created;
      context.warnings = record.warnings;
      const std::string html = multi ? HtmlReport(*run.multi, config.settings, context)
                                     : HtmlReport(*run.single, config.settings, context);
      // The stem only, as the other exports take it: no directory of the client's choosing.
      const std::string stem = std::filesystem::path(exports.filename).stem().string();
      const auto path = scratch.path() / (SafeFilename(stem) + "_report." + format);
      WriteReportFile(html, path);
      written.push_back(path.string());
    } else {
      exports.formats = {format};
      written = multi ? WriteMultiPeriodExports(*run.multi, exports)
                      : WriteExports(*run.single, config.settings, exports);
    }
    if (written.size() == 1) {
      const std::filesystem::path only(written.front());
      return Attachment(ReadBytes(only), only.filename().string());
    }
    std::vector<std::filesystem::path> files(written.begin(), written.end());
    return Attachment(
        ZipFiles(files),
        fmt::format("{}_{}.zip", std::filesystem::path(exports.filename).stem().string(), format));
  } catch (const RunCancelled& e) {
    return Error(503, "run cancelled", e.what(), request.path);
  } catch (const WorkLimitError& e) {
    return Error(422, "work limit", e.what(), request.path);
  } catch (const InputError& e) {
    // A missing browser for a PDF, or a disk that is full: the server's to fix, not the client's.
    const bool server_side = format == "pdf" || format == "xlsx";
    return Error(server_side ? 503 : 422, "export failed", e.what(), request.path);
  }
}

}  // namespace trend
