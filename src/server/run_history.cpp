#include "server/run_history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "report/export_files.hpp"

namespace trend {

using nlohmann::json;

namespace {

// The value at a dotted path, or null.
json At(const json& root, std::initializer_list<const char*> path) {
  const json* node = &root;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return *node;
}

}  // namespace

json RunRecord::ToJson() const {
  return json{{"id", id},
              {"created", created},
              {"mode", mode},
              {"dataset", dataset_id},
              {"dataset_name", dataset_name},
              {"config", config_text},
              {"summary", summary},
              {"headline", headline},
              {"warnings", warnings}};
}

RunRecord RunRecord::FromJson(const json& j) {
  RunRecord r;
  r.id = j.at("id").get<std::string>();
  r.created = j.at("created").get<std::string>();
  r.mode = j.at("mode").get<std::string>();
  r.dataset_id = j.at("dataset").get<std::string>();
  r.dataset_name = j.value("dataset_name", "");
  r.config_text = j.at("config").get<std::string>();
  r.summary = j.value("summary", json::object());
  r.headline = j.value("headline", json::object());
  r.warnings = j.value("warnings", std::vector<std::string>{});
  return r;
}

json ConfigSummary(const json& config) {
  json out = json::object();
  const auto put = [&](const char* name, json value) {
    if (!value.is_null()) out[name] = std::move(value);
  };
  put("selection", At(config, {"portfolio", "selection_mode"}));
  put("rank_n", At(config, {"portfolio", "rank", "n"}));
  put("score_by", At(config, {"portfolio", "rank", "score_by"}));
  put("weighting", At(config, {"portfolio", "weighting_scheme"}));
  put("target_vol", At(config, {"vol_adjust", "target_vol"}));
  put("frequency", At(config, {"multi_period", "frequency"}));
  put("in_sample_len", At(config, {"multi_period", "in_sample_len"}));
  put("out_sample_len", At(config, {"multi_period", "out_sample_len"}));
  for (const char* key : {"in_start", "in_end", "out_start", "out_end"})
    put(key, At(config, {"sample_split", key}));
  return out;
}

json HeadlineStatistics(const json& document) {
  // A single analysis has its statistics at the top; a backtest under "summary".
  json stats = At(document, {"out_user_stats"});
  if (stats.is_null()) stats = At(document, {"summary", "out_user_stats"});
  json out = json::object();
  if (!stats.is_object()) return out;
  for (const char* key : {"cagr", "vol", "sharpe", "sortino", "max_drawdown"}) {
    if (stats.contains(key)) out[key] = stats[key];
  }
  if (document.contains("n_periods")) out["periods"] = document["n_periods"];
  return out;
}

bool IsRunId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
  });
}

RunHistory::RunHistory(std::filesystem::path directory, std::size_t max_runs)
    : directory_(std::move(directory)), max_runs_(std::max<std::size_t>(max_runs, 1)) {
  if (directory_.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  if (error) {
    throw std::runtime_error(fmt::format("cannot create the run directory {}: {}",
                                         directory_.string(), error.message()));
  }
  Load();
}

std::filesystem::path RunHistory::RecordPath(const std::string& id) const {
  return directory_ / (id + ".run.json");
}

std::filesystem::path RunHistory::DocumentPath(const std::string& id) const {
  return directory_ / (id + ".result.json");
}

// A record that does not parse (a crash mid-write cannot leave one: files are renamed into
// place) is skipped, not fatal: one bad file must not keep the server down.
void RunHistory::Load() {
  for (const auto& file : std::filesystem::directory_iterator(directory_)) {
    const std::string name = file.path().filename().string();
    constexpr std::string_view kSuffix = ".run.json";
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    std::ifstream in(file.path());
    try {
      RunRecord record = RunRecord::FromJson(json::parse(in));
      if (!IsRunId(record.id) || !std::filesystem::exists(DocumentPath(record.id))) continue;
      by_time_.emplace(record.created, record.id);
      const std::string id = record.id;
      runs_[id] = Entry{std::move(record), nullptr};
    } catch (const json::exception&) {
      continue;
    }
  }
}

void RunHistory::Record(RunRecord record, std::shared_ptr<const std::string> document) {
  if (!IsRunId(record.id)) throw std::invalid_argument("run id: " + record.id);
  if (!directory_.empty()) {
    // The result first: a record on disk always has its document.
    if (!std::filesystem::exists(DocumentPath(record.id)))
      WriteFile(DocumentPath(record.id), *document);
    WriteFile(RecordPath(record.id), record.ToJson().dump(1) + "\n");
    document = nullptr;  // read back from disk when asked for
  }
  std::lock_guard lock(mutex_);
  if (auto old = runs_.find(record.id); old != runs_.end()) {
    auto [first, last] = by_time_.equal_range(old->second.record.created);
    for (auto it = first; it != last; ++it) {
      if (it->second == record.id) {
        by_time_.erase(it);
        break;
      }
    }
  }
  by_time_.emplace(record.created, record.id);
  const std::string id = record.id;
  runs_[id] = Entry{std::move(record), std::move(document)};
  Trim();
}

// Only a memory history forgets: on disk, runs stay until someone deletes the files.
void RunHistory::Trim() {
  if (!directory_.empty()) return;
  while (runs_.size() > max_runs_) {
    const auto oldest = by_time_.begin();
    runs_.erase(oldest->second);
    by_time_.erase(oldest);
  }
}

std::optional<RunRecord> RunHistory::Find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(id);
  if (it == runs_.end()) return std::nullopt;
  return it->second.record;
}

std::shared_ptr<const std::string> RunHistory::Document(const std::string& id) const {
  {
    std::lock_guard lock(mutex_);
    const auto it = runs_.find(id);
    if (it == runs_.end()) return nullptr;
    if (it->second.document) return it->second.document;
  }
  std::ifstream in(DocumentPath(id), std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream text;
  text << in.rdbuf();
  return std::make_shared<const std::string>(std::move(text).str());
}

RunHistory::Page RunHistory::List(std::size_t offset, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  Page page;
  page.total = runs_.size();
  std::size_t index = 0;
  for (auto it = by_time_.rbegin(); it != by_time_.rend() && page.runs.size() < limit;
       ++it, ++index) {
    if (index >= offset) page.runs.push_back(runs_.at(it->second).record);
  }
  return page;
}

std::size_t RunHistory::size() const {
  std::lock_guard lock(mutex_);
  return runs_.size();
}

}  // namespace trend
