#include "cli/local_workers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "error/input_error.hpp"

extern char** environ;

namespace trend {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t Spawn(const LocalWorkerOptions& options, std::size_t index, const fs::path& dir) {
  const std::string name = fmt::format("local-{}", index + 1);
  std::vector<std::string> args = {
      "trend",         "worker",   "--broker",    options.broker,  "--backend",
      options.backend, "--queues", options.queue, "--concurrency", "1",
      "--name",        name};
  std::vector<std::string> env = {"TMPDIR=" + dir.string()};
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).rfind("TMPDIR=", 0) != 0) env.emplace_back(*e);
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string log = (dir / "worker.log").string();
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, "/proc/self/exe", &files, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  if (error != 0) {
    throw InputError(fmt::format("cannot start a worker process: {}", std::strerror(error)));
  }
  return pid;
}

}  // namespace

LocalWorkers::LocalWorkers(const LocalWorkerOptions& options, std::size_t count) {
  std::vector<fs::path> dirs;
  try {
    for (std::size_t i = 0; i < count; ++i) {
      dirs.push_back(fs::path(options.directory) / fmt::format("worker-{}", i + 1));
      fs::create_directories(dirs.back());
      pids_.push_back(Spawn(options, i, dirs.back()));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (std::size_t i = 0; i < count; ++i) {
      for (;;) {
        const std::string log = ReadAll(dirs[i] / "worker.log");
        if (log.find(" consuming ") != std::string::npos) break;
        int status = 0;
        if (waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
          pids_[i] = 0;
          throw InputError(fmt::format("a local worker exited at start: {}", log));
        }
        if (std::chrono::steady_clock::now() > deadline)
          throw InputError(fmt::format("a local worker did not start within 30 s: {}", log));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  } catch (...) {
    Stop();
    throw;
  }
}

LocalWorkers::~LocalWorkers() {
  Stop();
}

void LocalWorkers::Stop() {
  for (pid_t pid : pids_) {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  for (pid_t pid : pids_) {
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
  pids_.clear();
}

}  // namespace trend
