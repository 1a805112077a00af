// What every handler of the JSON API answers with: JSON bodies and errors of one shape
// ({error, detail, path}), the Content-Type check of POSTs, and a request body parsed as JSON
// with a depth bound.
#pragma once

#include <chrono>
#include <map>
#include <string_view>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "server/http_message.hpp"

namespace trend {

// Text that is not UTF-8 (a path, a column name) is replaced, not thrown on: a client's bytes
// must never turn a 4xx into a 500.
HttpResponse Json(int status, const nlohmann::json& body);
HttpResponse Error(int status, const std::string& error, const std::string& detail,
                   const std::string& path);

// A 415 unless the request's media type is one of `accepted`. A web page can send text/plain
// (or a form) to 127.0.0.1 without asking first; the types accepted here all need a CORS
// preflight, which we never grant, so no other site can make the browser post to us.
std::optional<HttpResponse> RequireContentType(const HttpRequest& request,
                                               std::initializer_list<std::string_view> accepted);

// The body as JSON into `out`, or a 400 for malformed JSON or nesting past 64 levels (deeper
// input would recurse in dump() and elsewhere).
std::optional<HttpResponse> ParseJsonBody(const HttpRequest& request, nlohmann::json& out);

// ISO 8601 in UTC with milliseconds ("2026-12-02T16:08:53.123Z"); empty for the epoch (a time
// not set).
std::string IsoTimeUtc(std::chrono::system_clock::time_point t);

// The parameters of a query string, percent-decoded ('+' is a space); a repeated name keeps
// its last value.
std::map<std::string, std::string> QueryParameters(std::string_view query);

}  // namespace trend
