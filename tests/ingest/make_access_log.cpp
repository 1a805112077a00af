// Writes a deterministic combined-format access log shaped like trend app's traffic, for the
// ingest benchmark and tests:
//   make_access_log LINES [SEED] [LINES_PER_SECOND] [REPEAT_EVERY]  > access.log
// A mix of health checks, dataset uploads, analyses (POST /api/v1/runs with run=<id>) and
// result fetches, from a few hundred clients and a dozen user agents, with request times
// (rt=) and a few percent 4xx/5xx; lines run forward in time at LINES_PER_SECOND (default 100),
// and about one line in REPEAT_EVERY (default 1,000) repeats exactly an earlier line of the
// same second (the same request logged twice), which an exactly-once load must keep.
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace {

std::uint64_t Splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

const char* const kAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "python-requests/2.31.0",
    "curl/7.88.1",
    "kube-probe/1.28",
    "trend-engine-client/0.1",
    "Go-http-client/1.1",
    "PostmanRuntime/7.36.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "Wget/1.21.3",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"};
const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_access_log LINES [SEED] [LINES_PER_SECOND]\n");
    return 2;
  }
  const std::uint64_t lines = std::strtoull(argv[1], nullptr, 10);
  std::uint64_t state = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const std::uint64_t per_second =
      argc > 3 ? std::max<std::uint64_t>(1, std::strtoull(argv[3], nullptr, 10)) : 100;
  const std::uint64_t repeat_every =
      argc > 4 ? std::max<std::uint64_t>(2, std::strtoull(argv[4], nullptr, 10)) : 1000;
  const std::int64_t start = 1'793'491'200;  // 2026-11-01T00:00:00Z
  std::vector<std::string> this_second;
  static char buffer[1 << 16];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  char when[40];
  std::int64_t formatted_for = -1;
  for (std::uint64_t i = 0; i < lines; ++i) {
    const std::uint64_t r = Splitmix64(state);
    const std::int64_t t = start + static_cast<std::int64_t>(i / per_second);
    if (t != formatted_for) this_second.clear();
    if (!this_second.empty() && r % repeat_every == 0) {  // the same request logged twice
      std::fputs(this_second[(r >> 32) % this_second.size()].c_str(), stdout);
      continue;
    }
    if (t != formatted_for) {
      const std::time_t tt = t;
      std::tm tm{};
      gmtime_r(&tt, &tm);
      std::snprintf(when, sizeof when, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
      formatted_for = t;
    }
    const std::uint64_t kind = (r >> 8) % 100;
    const std::uint64_t run = Splitmix64(state) % 5000;  // popular analyses repeat
    const std::uint64_t client = (r >> 20) % 300;
    const char* agent = kAgents[(r >> 32) % (sizeof kAgents / sizeof kAgents[0])];
    int status = 200;
    std::uint64_t bytes = 2048 + (r >> 40) % 30000;
    double seconds = 0.0005 + static_cast<double>((r >> 44) % 1000) / 1e6;
    char request[160], extra[64] = "";
    if (kind < 30) {
      std::snprintf(request, sizeof request, "GET /healthz HTTP/1.1");
      bytes = 15;
    } else if (kind < 55) {
      std::snprintf(request, sizeof request, "POST /api/v1/runs HTTP/1.1");
      seconds = 0.002 + static_cast<double>((r >> 44) % 400000) / 1e6;
      std::snprintf(extra, sizeof extra, " run=%016" PRIx64,
                    static_cast<std::uint64_t>(run * 0x9E3779B97F4A7C15ULL));
    } else if (kind < 85) {
      std::snprintf(request, sizeof request, "GET /api/v1/runs/%016" PRIx64 " HTTP/1.1",
                    static_cast<std::uint64_t>(run * 0x9E3779B97F4A7C15ULL));
    } else if (kind < 92) {
      std::snprintf(request, sizeof request, "POST /api/v1/datasets HTTP/1.1");
      status = 201;
      seconds = 0.004 + static_cast<double>((r >> 44) % 50000) / 1e6;
    } else if (kind < 96) {
      std::snprintf(request, sizeof request, "GET /api/v1/config/schema HTTP/1.1");
    } else {
      std::snprintf(request, sizeof request, "GET /api/v1/runs?page=%" PRIu64 " HTTP/1.1",
                    (r >> 50) % 9);
      status = (r >> 52) % 3 == 0 ? 500 : 404;
    }
    if (status == 200 && (r >> 56) % 50 == 0) status = 422;
    char text[512];
    std::snprintf(text, sizeof text,
                  "10.%u.%u.%u - - [%s] \"%s\" %d %" PRIu64 " \"-\" \"%s\" rt=%.6f%s\n",
                  static_cast<unsigned>(client / 100), static_cast<unsigned>(client % 100),
                  static_cast<unsigned>((client * 7) % 250 + 1), when, request, status, bytes,
                  agent, seconds, extra);
    this_second.emplace_back(text);
    std::fputs(text, stdout);
  }
  return 0;
}
