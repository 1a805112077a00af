// Starts a real Redis or memcached server for a test on a free loopback port, in a temporary
// directory, and stops it when the test ends. Tests never depend on a service already running.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace trend::testing {

inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class LocalServer {
 public:
  // kind: "redis" or "memcached".
  explicit LocalServer(const std::string& kind) : port_(FreeLoopbackPort()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("trend_" + kind + "_" + std::to_string(port_) + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args;
    if (kind == "redis") {
      args = {"redis-server",
              "--port",
              std::to_string(port_),
              "--bind",
              "127.0.0.1",
              "--save",
              "",
              "--appendonly",
              "no",
              "--dir",
              dir_.string(),
              "--daemonize",
              "no"};
    } else {
      args = {"memcached", "-p", std::to_string(port_), "-l", "127.0.0.1", "-U", "0", "-m", "64"};
      if (::geteuid() == 0) {  // memcached refuses to run as root unless told to
        args.push_back("-u");
        args.push_back("root");
      }
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + args[0] + " (is it installed?)");
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!Accepts(port_)) {
      if (std::chrono::steady_clock::now() > deadline) {
        Stop();
        throw std::runtime_error(args[0] + " did not start on port " + std::to_string(port_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~LocalServer() { Stop(); }
  int port() const { return port_; }
  // SIGSTOP / SIGCONT: a backend that hangs with its connections open.
  void Pause() {
    ::kill(pid_, SIGSTOP);
    // Stopped once /proc says so (the signal takes effect when the process is next scheduled).
    for (int i = 0; i < 100 && State() != 'T'; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void Resume() { ::kill(pid_, SIGCONT); }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);  // a paused server cannot act on SIGTERM
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = 0;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  char State() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
  }

  int port_;
  pid_t pid_ = 0;
  std::filesystem::path dir_;
};

}  // namespace trend::testing
