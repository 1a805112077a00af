// The plain parts of the HTTP layer, without sockets or event loops: request and response
// values, the route a router picks, the access rules, and parsing one request from bytes the
// way the server reads one (tests and the fuzzer use it).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trend {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query
  std::string query;
  std::string body;
  int version = 11;           // HTTP/1.1 -> 11
  std::string content_type;   // as sent, e.g. "application/json; charset=utf-8"
  std::string host;           // the Host field as sent
  std::string authorization;  // the Authorization field as sent
  // Filled only when the access log is on (they are what it writes):
  std::string remote;                          // peer address
  std::map<std::string, std::string> headers;  // referer, user-agent (lower-case names)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  // When set, sent instead of `body` without a copy (cached documents).
  std::shared_ptr<const std::string> shared_body;

  // What is sent: the shared document if there is one, else `body`.
  const std::string& payload() const { return shared_body ? *shared_body : body; }
};

// Decides how a request is served. `heavy` handlers run on the worker pool.
struct HttpRoute {
  bool heavy = false;
  std::function<HttpResponse(const HttpRequest&)> handle;
};
using HttpRouter = std::function<HttpRoute(const HttpRequest&)>;

// Who may ask. A non-empty token: every request needs "Authorization: Bearer <token>" (else
// 401), except the paths in `public_paths` (exact, or a prefix ending in '*'). `allowed_hosts`:
// the Host values (without the port) a request may name; empty: any. A browser tricked by DNS
// rebinding names the attacker's host, so a loopback server refuses it (400).
struct AccessRules {
  std::string bearer_token;
  std::vector<std::string> public_paths;
  std::vector<std::string> allowed_hosts;
};

// The response to a request the rules turn away, if any.
std::optional<HttpResponse> Refusal(const AccessRules& rules, const HttpRequest& request);

// {"error", "detail", "path"} as JSON; bytes that are not UTF-8 (a hostile path) are replaced.
std::string ErrorJson(const std::string& error, const std::string& detail, const std::string& path);

// Parses one request from `wire` as the server reads one from a connection (the same parser,
// header and body limits and Transfer-Encoding rule), for tests and the fuzzer. nullopt, with
// the reason in `error`, when the server would answer 4xx or the request is incomplete.
std::optional<HttpRequest> ParseHttpRequest(std::string_view wire, std::size_t max_header_bytes,
                                            std::size_t max_body_bytes,
                                            std::string* error = nullptr);

// Whether `host` (an IP address, as --host takes) is a loopback address.
bool IsLoopbackAddress(const std::string& host);

}  // namespace trend
