// The runs `trend app` has made, for GET /api/v1/runs (the history) and for the page's "open
// again" and "compare": each run's request (config text, dataset id, mode), a short summary
// of its config and its headline statistics, and the result document. With a directory
// (trend app --data-dir) every run is also written there, so a run survives a restart;
// without one the newest `max_runs` are kept in memory.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trend {

struct RunRecord {
  std::string id;
  std::string created;  // ISO 8601, UTC, millisecond precision
  std::string mode;     // "single" or "multi_period"
  std::string dataset_id;
  std::string dataset_name;  // what the client called the file; may be empty
  std::string config_text;   // as sent: YAML or JSON
  nlohmann::json summary;    // a few keys of the config, for a listing
  nlohmann::json headline;   // out-of-sample statistics of the portfolio
  std::vector<std::string> warnings;

  nlohmann::json ToJson() const;
  // Throws nlohmann::json::exception on a document that is not a record.
  static RunRecord FromJson(const nlohmann::json& json);
};

// The summary and headline of a run, read from its config and result document.
nlohmann::json ConfigSummary(const nlohmann::json& config);
nlohmann::json HeadlineStatistics(const nlohmann::json& document);

// True for the ids runs and jobs have (hex digits and dashes, at most 64): the only ids
// that name a file.
bool IsRunId(const std::string& id);

class RunHistory {
 public:
  // `directory` empty: memory only. Created if missing; std::runtime_error naming it when it
  // cannot be. Records already there are read back, newest first.
  RunHistory(std::filesystem::path directory, std::size_t max_runs);

  // Keeps the run (again: a run made twice moves to the top with its new time). With a
  // directory, both files are on disk when this returns; std::runtime_error if not.
  void Record(RunRecord record, std::shared_ptr<const std::string> document);
  std::optional<RunRecord> Find(const std::string& id) const;
  // The result document, from memory or disk; nullptr when unknown.
  std::shared_ptr<const std::string> Document(const std::string& id) const;

  struct Page {
    std::vector<RunRecord> runs;  // newest first
    std::size_t total = 0;
  };
  Page List(std::size_t offset, std::size_t limit) const;
  std::size_t size() const;

 private:
  struct Entry {
    RunRecord record;
    std::shared_ptr<const std::string> document;  // memory-only histories
  };
  std::filesystem::path RecordPath(const std::string& id) const;
  std::filesystem::path DocumentPath(const std::string& id) const;
  void Load();
  void Trim();  // under mutex_

  std::filesystem::path directory_;
  std::size_t max_runs_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> runs_;
  std::multimap<std::string, std::string> by_time_;  // created -> id
};

}  // namespace trend
