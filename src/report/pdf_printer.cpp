#include "report/pdf_printer.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "error/input_error.hpp"
#include "report/export_files.hpp"

extern char** environ;

namespace trend {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> FindChromium() {
  if (const char* chosen = std::getenv("TREND_CHROMIUM"); chosen && *chosen) {
    if (::access(chosen, X_OK) == 0) return std::string(chosen);
    return std::nullopt;
  }
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (auto found = OnPath(name)) return found;
  }
  return std::nullopt;
}

void PrintHtmlToPdf(const fs::path& html, const fs::path& pdf, int timeout_seconds) {
  const auto browser = FindChromium();
  if (!browser) {
    throw InputError(
        "a PDF is printed by headless Chromium, which is not installed: install the chromium "
        "package (apt-get install chromium), set TREND_CHROMIUM to a Chrome or Chromium "
        "executable, or ask for .html");
  }
  const ScratchDirectory profile("trend-browser");
  const fs::path log = profile.path() / "browser.log";
  std::vector<std::string> args = {*browser,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--no-pdf-header-footer",
                                   "--user-data-dir=" + (profile.path() / "profile").string(),
                                   "--print-to-pdf=" + fs::absolute(pdf).string(),
                                   "file://" + fs::absolute(html).string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a timeout stops the browser's helper processes too.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t child = 0;
  const int spawned =
      posix_spawn(&child, browser->c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0)
    throw InputError(fmt::format("cannot start {}: {}", *browser, std::strerror(spawned)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-child, SIGKILL);
      ::waitpid(child, &status, 0);
      throw InputError(
          fmt::format("{} did not print {} within {} s", *browser, pdf.string(), timeout_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-child, SIGKILL);  // helpers the browser left behind
  std::error_code error;
  const bool printed = fs::exists(pdf, error) && fs::file_size(pdf, error) > 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !printed) {
    std::ifstream in(log);
    std::string last, line;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    throw InputError(fmt::format("{} could not print {}: {}", *browser, pdf.string(),
                                 last.empty() ? "no PDF was written" : last));
  }
}

void WriteReportFile(const std::string& html, const fs::path& output) {
  std::string extension = output.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".html" || extension == ".htm") {
    WriteFile(output, html);
    return;
  }
  if (extension != ".pdf") {
    throw InputError(fmt::format("{}: a report is .html or .pdf (not '{}')", output.string(),
                                 extension.empty() ? "no extension" : extension));
  }
  const ScratchDirectory scratch("trend-report");
  const fs::path page = scratch.path() / (output.stem().string() + ".html");
  WriteFile(page, html);
  // Printed in the scratch directory, then written whole: never a partial PDF at `output`.
  const fs::path printed = scratch.path() / "report.pdf";
  PrintHtmlToPdf(page, printed);
  std::ifstream in(printed, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  WriteFile(output, std::move(bytes).str());
}

}  // namespace trend
