// A directory of the test's own under the system's temporary directory: its name holds the
// process id and a count, so parallel test processes never share one. Removed (with what is
// in it) when the test starts and when it ends.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace trend::test_support {

class TempDir {
 public:
  // `create`: false leaves the directory to the code under test to make.
  explicit TempDir(std::string_view prefix, bool create = true)
      : path_(std::filesystem::temp_directory_path() /
              (std::string(prefix) + "_" + std::to_string(::getpid()) + "_" +
               std::to_string(next_++))) {
    std::filesystem::remove_all(path_);
    if (create) std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

}  // namespace trend::test_support
