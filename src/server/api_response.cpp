#include "server/api_response.hpp"

#include <fmt/format.h>

#include <cctype>
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

}  // namespace trend
