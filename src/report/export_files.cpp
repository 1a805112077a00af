#include "report/export_files.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "error/input_error.hpp"

namespace trend {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string CsvNumber(const std::optional<double>& value) {
  return value && !std::isnan(*value) ? fmt::format("{}", *value) : std::string();
}

namespace {

// Writes `text` to `path` (created or truncated); the reason when it could not.
std::optional<std::string> WriteAll(const std::filesystem::path& path, const std::string& text) {
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return std::strerror(errno);
  const bool written =
      std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0;
  const int write_errno = errno;
  if (std::fclose(out) != 0 || !written) return std::strerror(written ? errno : write_errno);
  return std::nullopt;
}

}  // namespace

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    // A device or a pipe (/dev/stdout, a FIFO): written in place, never renamed over.
    if (const auto why = WriteAll(path, text)) {
      throw InputError(fmt::format("{}: cannot write the file: {}", path.string(), *why));
    }
    return;
  }
  // Whole file or nothing, so a full disk or a kill never leaves a short file under the name.
  PendingFile file(path);
  if (const auto why = WriteAll(file.temporary(), text)) file.Fail(*why);
  file.Commit();
}

PendingFile::PendingFile(std::filesystem::path path) : path_(std::move(path)) {
  static std::atomic<std::uint64_t> next{0};
  temporary_ = path_.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(next++);
}

PendingFile::~PendingFile() {
  if (done_) return;
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void PendingFile::Fail(const std::string& why) {
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
  done_ = true;
  throw InputError(fmt::format("{}: cannot write the file: {}", path_.string(), why));
}

void PendingFile::Commit() {
  // On the disk before it has the name: a crash after the rename finds the whole file.
  const int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (!synced) Fail(std::strerror(sync_errno));
  std::error_code ec;
  std::filesystem::rename(temporary_, path_, ec);
  if (ec) Fail(ec.message());
  done_ = true;
}

void CreateExportDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw InputError(
        fmt::format("{}: cannot create the export directory: {}", dir.string(), ec.message()));
  }
}

ExportFiles::ExportFiles(const std::string& directory, const std::string& filename)
    : directory_(directory), stem_(std::filesystem::path(filename).stem().string()) {
  CreateExportDirectory(directory_);
}

std::filesystem::path ExportFiles::Claim(const std::string& suffix) {
  std::filesystem::path path = directory_ / (stem_ + suffix);
  written_.push_back(path.string());
  return path;
}

ScratchDirectory::ScratchDirectory(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw InputError(fmt::format("cannot create a temporary directory in {}: {}",
                                 std::filesystem::temp_directory_path().string(),
                                 std::strerror(errno)));
  }
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace trend
