// The request parser `trend app` reads with (Boost.Beast's basic_parser): internal to the
// server library (http_server.cpp and http_message.cpp).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http_message.hpp"

namespace trend {

namespace beast = boost::beast;
namespace http = beast::http;

// Whether the last coding of a Transfer-Encoding value is "chunked" (case-insensitive).
bool EndsWithChunked(std::string_view value);

// The bytes of request bodies held at once, across every connection: many clients each
// sending a body under the per-request limit must not exhaust memory together.
class BodyBudget {
 public:
  explicit BodyBudget(std::size_t capacity) : capacity_(capacity) {}
  bool TryReserve(std::size_t bytes) {
    std::size_t used = used_.load();
    do {
      if (bytes > capacity_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes));
    return true;
  }
  void Release(std::size_t bytes) { used_ -= bytes; }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> used_{0};
};

// Parses one request straight into an HttpRequest: no header map is built (Beast's
// request_parser would allocate one per request); only the fields the access log writes are
// kept, and only when it is on. Beast checks the syntax, the size limits and keep-alive.
class RequestParser : public http::basic_parser<true> {
 public:
  RequestParser(HttpRequest& request, bool keep_log_fields, BodyBudget& budget)
      : request_(request), keep_log_fields_(keep_log_fields), budget_(budget) {}
  ~RequestParser() override { budget_.Release(reserved_); }
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  std::string_view target() const { return target_; }
  // The body did not fit the server's budget (the error is body_limit): 503, not 413.
  bool over_budget() const { return over_budget_; }

 private:
  void on_request_impl(http::verb, beast::string_view method, beast::string_view target,
                       int version, beast::error_code&) override {
    request_.method.assign(method.data(), method.size());
    target_.assign(target.data(), target.size());
    const std::size_t q = target_.find('?');
    request_.path.assign(target_, 0, q);
    if (q != std::string::npos) request_.query.assign(target_, q + 1);
    request_.version = version;
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                     beast::error_code& ec) override {
    // RFC 9112 §6.1: a request body is framed by chunked only when it is the final coding;
    // any other coding cannot be framed, and reading it as "no body" would let the body run as
    // the next request (smuggling). 400, and the connection closes.
    if (name == http::field::transfer_encoding &&
        !EndsWithChunked(std::string_view(value.data(), value.size()))) {
      ec = http::error::bad_transfer_encoding;
      return;
    }
    if (name == http::field::content_type) request_.content_type.assign(value.data(), value.size());
    if (name == http::field::host) request_.host.assign(value.data(), value.size());
    if (name == http::field::authorization) {
      request_.authorization.assign(value.data(), value.size());
    }
    if (!keep_log_fields_) return;
    if (name == http::field::referer) request_.headers["referer"] = std::string(value);
    if (name == http::field::user_agent) request_.headers["user-agent"] = std::string(value);
  }
  // A declared length is reserved whole once the header is in, before a byte of the body is
  // read (Beast has already refused one over the per-request limit); a chunked body reserves
  // as its chunks arrive.
  void on_header_impl(beast::error_code& ec) override {
    const auto length = content_length();
    if (!length || *length == 0) return;
    if (!Reserve(static_cast<std::size_t>(*length), ec)) return;
    request_.body.reserve(static_cast<std::size_t>(*length));
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code& ec) override {
    if (!Reserve(body.size(), ec)) return 0;
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  bool Reserve(std::size_t bytes, beast::error_code& ec) {
    if (!budget_.TryReserve(bytes)) {
      over_budget_ = true;
      ec = http::error::body_limit;
      return false;
    }
    reserved_ += bytes;
    return true;
  }
  void on_finish_impl(beast::error_code&) override {}

  HttpRequest& request_;
  bool keep_log_fields_;
  BodyBudget& budget_;
  std::size_t reserved_ = 0;
  bool over_budget_ = false;
  std::string target_;
};

}  // namespace trend
