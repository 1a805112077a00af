#include "server/dataset_store.hpp"
#include "digest/sha256.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "data/csv_reader.hpp"
#include "server/result_cache.hpp"

namespace trend {

bool IsDatasetId(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

DatasetStore::DatasetStore(std::size_t byte_budget, std::filesystem::path directory)
    : budget_(byte_budget), directory_(std::move(directory)) {
  if (directory_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec || !std::filesystem::is_directory(directory_)) {
    throw std::runtime_error(directory_.string() + ": cannot use as the dataset directory" +
                             (ec ? " (" + ec.message() + ")" : ""));
  }
  // Temporaries of a process killed mid-write (<id>.csv.tmp.<pid>.<n>) are never read: drop
  // them, unless their process still runs (another server sharing the directory).
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    const std::string name = entry.path().filename().string();
    const std::size_t tmp = name.find(".csv.tmp.");
    if (tmp == std::string::npos) continue;
    const std::string rest = name.substr(tmp + 9);
    const auto pid = static_cast<pid_t>(std::atol(rest.substr(0, rest.find('.')).c_str()));
    if (pid > 0 && (pid == ::getpid() || ::kill(pid, 0) == 0)) continue;
    std::error_code ignored;
    std::filesystem::remove(entry.path(), ignored);
  }
}

std::filesystem::path DatasetStore::PathOf(const std::string& id) const {
  return directory_ / (id + ".csv");
}

namespace {

std::shared_ptr<const StoredDataset> Parse(const std::string& id, const std::string& csv,
                                           const std::string& source) {
  auto dataset = std::make_shared<StoredDataset>();
  dataset->id = id;
  dataset->frame = ParseReturnsCsv(csv, source);
  dataset->bytes =
      csv.size() + static_cast<std::size_t>(dataset->frame.values.size()) * sizeof(double);
  return dataset;
}

// Whole file or nothing: a crash mid-write leaves a temporary file, never a short <id>.csv.
void WriteAtomically(const std::filesystem::path& path, const std::string& text) {
  static std::atomic<std::uint64_t> next{0};
  const std::filesystem::path temporary =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(next++);
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw std::runtime_error(path.string() + ": cannot write the dataset");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw std::runtime_error(path.string() + ": cannot write the dataset (" + ec.message() + ")");
  }
}

}  // namespace

std::shared_ptr<const StoredDataset> DatasetStore::Store(const std::string& csv, bool* created) {
  const std::string id = Sha256Hex(csv);
  if (auto known = Find(id)) {
    if (created) *created = false;
    return known;
  }
  auto dataset = Parse(id, csv, "dataset");
  if (!directory_.empty()) WriteAtomically(PathOf(id), csv);
  if (created) *created = true;
  return Remember(std::move(dataset));
}

std::shared_ptr<const StoredDataset> DatasetStore::FindInMemory(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = datasets_.find(id);
  if (it == datasets_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.second);  // most recently used
  return it->second.first;
}

std::shared_ptr<const StoredDataset> DatasetStore::Find(const std::string& id) {
  if (auto found = FindInMemory(id)) return found;
  if (directory_.empty() || !IsDatasetId(id)) return nullptr;
  std::ifstream in(PathOf(id), std::ios::binary);
  if (!in) return nullptr;
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A file whose content no longer hashes to its name was changed on disk: not this dataset.
  if (Sha256Hex(csv) != id) return nullptr;
  ++disk_reads_;
  return Remember(Parse(id, csv, PathOf(id).string()));
}

std::shared_ptr<const StoredDataset> DatasetStore::Remember(
    std::shared_ptr<const StoredDataset> dataset) {
  std::lock_guard lock(mutex_);
  if (const auto it = datasets_.find(dataset->id); it != datasets_.end()) {
    return it->second.first;  // another request stored it meanwhile
  }
  order_.push_front(dataset->id);
  datasets_[dataset->id] = {dataset, order_.begin()};
  bytes_ += dataset->bytes;
  // The newest always stays, even over budget: it is the one being used.
  while (bytes_ > budget_ && order_.size() > 1) {
    const auto oldest = datasets_.find(order_.back());
    bytes_ -= oldest->second.first->bytes;
    datasets_.erase(oldest);
    order_.pop_back();
  }
  return dataset;
}

std::size_t DatasetStore::entries() const {
  std::lock_guard lock(mutex_);
  return datasets_.size();
}

std::size_t DatasetStore::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace trend
