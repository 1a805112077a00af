#include "report/export_files.hpp"

#include <fmt/format.h>

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

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    // A device or a pipe (/dev/stdout, a FIFO): written in place, never renamed over.
    std::FILE* out = std::fopen(path.c_str(), "wb");
    const bool written = out != nullptr &&
                         std::fwrite(text.data(), 1, text.size(), out) == text.size() &&
                         std::fflush(out) == 0;
    const int write_errno = errno;
    if (out == nullptr || std::fclose(out) != 0 || !written) {
      throw InputError(
          fmt::format("{}: cannot write the file: {}", path.string(), std::strerror(write_errno)));
    }
    return;
  }
  // Whole file or nothing: written beside the target, flushed to the disk, then renamed over
  // it, so a full disk or a kill never leaves a short file under the real name.
  static std::atomic<std::uint64_t> next{0};
  const std::filesystem::path temporary =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(next++);
  const auto fail = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw InputError(fmt::format("{}: cannot write the file: {}", path.string(), why));
  };
  std::FILE* out = std::fopen(temporary.c_str(), "wb");
  if (out == nullptr) fail(std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size() &&
                       std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
  const int write_errno = errno;
  if (std::fclose(out) != 0 || !written) fail(std::strerror(written ? errno : write_errno));
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) fail(ec.message());
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

}  // namespace trend
