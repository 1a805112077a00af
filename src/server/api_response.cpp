#include "server/api_response.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <stdexcept>

namespace trend {
namespace {

using nlohmann::json;

// The media type of a Content-Type value: "Application/JSON; charset=utf-8" -> "application/json".
std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  std::string out(type);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

HttpResponse Json(int status, const json& body) {
  return {status,
          "application/json",
          body.dump(-1, ' ', false, json::error_handler_t::replace),
          {},
          nullptr};
}

HttpResponse Error(int status, const std::string& error, const std::string& detail,
                   const std::string& path) {
  return Json(status, {{"error", error}, {"detail", detail}, {"path", path}});
}

std::optional<HttpResponse> RequireContentType(const HttpRequest& request,
                                               std::initializer_list<std::string_view> accepted) {
  const std::string type = MediaType(request.content_type);
  for (std::string_view a : accepted) {
    if (type == a) return std::nullopt;
  }
  std::string expected;
  for (std::string_view a : accepted) expected += (expected.empty() ? "" : " or ") + std::string(a);
  return Json(415, {{"error", "unsupported media type"},
                    {"detail", "Content-Type '" + request.content_type + "': expected " + expected},
                    {"path", request.path}});
}

std::optional<HttpResponse> ParseJsonBody(const HttpRequest& request, json& out) {
  constexpr int kMaxDepth = 64;
  bool too_deep = false;
  try {
    out = json::parse(request.body, [&](int depth, json::parse_event_t, json&) {
      if (depth > kMaxDepth) {
        too_deep = true;
        throw std::length_error("too deep");
      }
      return true;
    });
  } catch (const json::exception& e) {  // a syntax error, or a number out of range (1e400)
    return Error(400, "malformed JSON", e.what(), request.path);
  } catch (const std::length_error&) {
    if (!too_deep) throw;
    return Error(400, "malformed JSON",
                 fmt::format("the document nests deeper than {} levels", kMaxDepth), request.path);
  }
  return std::nullopt;
}

std::string IsoTimeUtc(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>(millis % 1000));
}

std::map<std::string, std::string> QueryParameters(std::string_view query) {
  const auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
                 hex(text[i + 2]) >= 0) {
        out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out[decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
  }
  return out;
}

}  // namespace trend
