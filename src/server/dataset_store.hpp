// The datasets `trend app` has been given: parsed return frames keyed by the SHA-256 of their
// CSV text (so uploads dedupe), held in memory within a byte budget (least recently used out
// first) and, when a directory is given, also written there as <id>.csv. With a directory the
// memory is only a cache: an evicted dataset, or one uploaded before a restart, is read back
// on first use.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "data/returns_frame.hpp"

namespace trend {

struct StoredDataset {
  std::string id;  // SHA-256 of the CSV text, lower-case hex
  ReturnsFrame frame;
  std::size_t bytes = 0;  // what it costs in memory
};

class DatasetStore {
 public:
  // `directory` empty: memory only. The directory is created if missing; throws
  // std::runtime_error naming it when it cannot be.
  DatasetStore(std::size_t byte_budget, std::filesystem::path directory = {});

  // Parses and keeps the CSV (InputError naming the line when it is not a returns file);
  // `created` tells whether it is new. With a directory the file is written (to a temporary
  // name, then renamed) before the call returns; std::runtime_error if that fails.
  std::shared_ptr<const StoredDataset> Store(const std::string& csv, bool* created = nullptr);
  // nullptr when unknown (or `id` is not a SHA-256 hex string).
  std::shared_ptr<const StoredDataset> Find(const std::string& id);

  std::size_t entries() const;
  std::size_t bytes() const;
  std::uint64_t disk_reads() const { return disk_reads_; }
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::shared_ptr<const StoredDataset> Remember(std::shared_ptr<const StoredDataset> dataset);
  std::shared_ptr<const StoredDataset> FindInMemory(const std::string& id);
  std::filesystem::path PathOf(const std::string& id) const;

  std::size_t budget_;
  std::filesystem::path directory_;
  mutable std::mutex mutex_;
  std::map<std::string,
           std::pair<std::shared_ptr<const StoredDataset>, std::list<std::string>::iterator>>
      datasets_;
  std::list<std::string> order_;  // most recent first
  std::size_t bytes_ = 0;
  std::atomic<std::uint64_t> disk_reads_{0};
};

// True for 64 lower-case hex digits: the only ids that name a file.
bool IsDatasetId(const std::string& id);

}  // namespace trend
