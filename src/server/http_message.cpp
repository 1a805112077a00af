#include "server/http_message.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "server/request_parser.hpp"

namespace trend {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string ErrorJson(const std::string& error, const std::string& detail,
                      const std::string& path) {
  // Bytes that are not UTF-8 (a hostile path) are replaced rather than thrown on.
  return nlohmann::json{{"error", error}, {"detail", detail}, {"path", path}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool EndsWithChunked(std::string_view value) {
  const std::size_t comma = value.rfind(',');
  std::string_view last = comma == std::string_view::npos ? value : value.substr(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  if (last.size() != 7) return false;
  for (std::size_t i = 0; i < 7; ++i) {
    if (std::tolower(static_cast<unsigned char>(last[i])) != "chunked"[i]) return false;
  }
  return true;
}

namespace {

// The host of a Host field: "127.0.0.1:8501" -> "127.0.0.1", "[::1]:8501" -> "::1".
std::string HostName(std::string_view field) {
  if (!field.empty() && field.front() == '[') {
    const std::size_t close = field.find(']');
    return std::string(field.substr(1, close == std::string_view::npos ? field.npos : close - 1));
  }
  std::string name(field.substr(0, field.find(':')));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Compares in time that depends only on the lengths, not on where the bytes differ.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool IsPublic(const std::vector<std::string>& public_paths, const std::string& path) {
  for (const auto& p : public_paths) {
    if (!p.empty() && p.back() == '*') {
      if (path.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
    } else if (path == p) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<HttpResponse> Refusal(const AccessRules& rules, const HttpRequest& request) {
  if (!rules.allowed_hosts.empty()) {
    const std::string host = HostName(request.host);
    if (std::find(rules.allowed_hosts.begin(), rules.allowed_hosts.end(), host) ==
        rules.allowed_hosts.end()) {
      return HttpResponse{400,
                          "application/json",
                          ErrorJson("host not allowed",
                                    "Host '" + request.host +
                                        "' is not one this server answers to (--allowed-hosts)",
                                    request.path),
                          {},
                          nullptr};
    }
  }
  if (rules.bearer_token.empty() || IsPublic(rules.public_paths, request.path)) {
    return std::nullopt;
  }
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view given = request.authorization;
  const bool bearer = given.size() > kScheme.size() && given.substr(0, kScheme.size()) == kScheme;
  if (bearer && SameSecret(given.substr(kScheme.size()), rules.bearer_token)) {
    return std::nullopt;
  }
  HttpResponse refused{401,
                       "application/json",
                       ErrorJson("unauthorized",
                                 bearer ? "the bearer token is not this server's"
                                        : "this server needs Authorization: Bearer <token>",
                                 request.path),
                       {},
                       nullptr};
  refused.headers["WWW-Authenticate"] = "Bearer realm=\"trend\"";
  return refused;
}

std::optional<HttpRequest> ParseHttpRequest(std::string_view wire, std::size_t max_header_bytes,
                                            std::size_t max_body_bytes, std::string* error) {
  HttpRequest request;
  BodyBudget budget(max_body_bytes);
  RequestParser parser(request, /*keep_log_fields=*/true, budget);
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
  parser.eager(true);
  beast::error_code ec;
  while (!parser.is_done()) {
    const std::size_t used = parser.put(asio::buffer(wire.data(), wire.size()), ec);
    wire.remove_prefix(used);
    if (ec == http::error::need_more) ec = {};
    if (ec || used == 0) break;  // an error, or all there is and not enough
  }
  if (!ec && !parser.is_done()) {
    parser.put_eof(ec);  // the end of the stream: only a request without a body may end here
  }
  if (ec || !parser.is_done()) {
    if (error) *error = ec ? ec.message() : "incomplete request";
    return std::nullopt;
  }
  return request;
}

bool IsLoopbackAddress(const std::string& host) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace trend
