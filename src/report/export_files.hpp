// Small helpers shared by the export writers: CSV quoting, numbers and file writes that fail
// with the path named.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trend {

// RFC 4180 quoting when the text has a comma, quote or newline.
std::string CsvField(const std::string& text);
// Shortest round-trip text of a number; empty for none or NaN.
std::string CsvNumber(const std::optional<double>& value);
// Writes `text` to `path` whole or not at all (a temporary file, fsync, rename); throws
// InputError naming the path and the reason.
void WriteFile(const std::filesystem::path& path, const std::string& text);

// A file written under a temporary name beside `path` (by the caller, or by a library that
// takes a path) and put in place by Commit(): fsync, then rename over `path`. A failure, or
// destruction without Commit(), removes the temporary: nothing partial under the real name.
class PendingFile {
 public:
  explicit PendingFile(std::filesystem::path path);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temporary() const { return temporary_; }
  // Throws InputError naming path() and the reason (the temporary is removed).
  void Commit();
  [[noreturn]] void Fail(const std::string& why);

 private:
  std::filesystem::path path_, temporary_;
  bool done_ = false;
};

// Creates the directory (and parents); throws InputError naming it.
void CreateExportDirectory(const std::filesystem::path& dir);

// The files of one export: <directory>/<stem of filename><suffix>. Creates the directory when
// made and lists every file handed out, in order.
class ExportFiles {
 public:
  ExportFiles(const std::string& directory, const std::string& filename);
  // The path for `suffix`, recorded as written (for writers that write it themselves).
  std::filesystem::path Claim(const std::string& suffix);
  void Write(const std::string& suffix, const std::string& text) { WriteFile(Claim(suffix), text); }
  std::vector<std::string> written() && { return std::move(written_); }

 private:
  std::filesystem::path directory_;
  std::string stem_;
  std::vector<std::string> written_;
};

// A new directory under the system's temporary directory, removed with everything in it when
// this goes out of scope (exports made for a download, a browser's profile). Throws InputError
// when it cannot be made.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& prefix = "trend");
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace trend
