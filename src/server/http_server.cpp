#include "server/http_server.hpp"

#include "server/request_parser.hpp"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <iterator>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace trend {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A log destination: a file (appended), stderr ("-") or nothing (""); whole lines are written
// under a lock so concurrent event loops never interleave them.
class LogFile {
 public:
  LogFile(const std::string& target, const char* what) {
    if (target == "-") {
      file_ = stderr;
    } else if (!target.empty()) {
      file_ = std::fopen(target.c_str(), "a");
      if (file_ == nullptr) throw std::runtime_error(target + ": cannot open the " + what);
      owned_ = true;
    }
  }
  ~LogFile() {
    if (owned_) std::fclose(file_);
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  bool enabled() const { return file_ != nullptr; }
  void WriteLine(const std::string& line) {
    if (file_ == nullptr) return;
    std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), file_);
    std::fflush(file_);
  }

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::mutex mutex_;
};

std::string UtcNow(const char* format) {
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, format, &tm);
  return when;
}

// The combined log format, one line per response.
class AccessLog {
 public:
  // As nginx escapes log variables: a quote, a backslash, control bytes and bytes >= 0x7F
  // become \xHH, so a client cannot end a field or forge a line.
  static std::string Escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x7F) {
        out += fmt::format("\\x{:02X}", byte);
      } else {
        out += c;
      }
    }
    return out;
  }

  explicit AccessLog(const std::string& target) : file_(target, "access log") {}
  bool enabled() const { return file_.enabled(); }
  // Combined format, then rt=<seconds from the request read to the response written> and,
  // for an analysis, run=<its run id>: what `trend ingest` and `trend ingest report` read.
  void Write(const HttpRequest& req, const std::string& request_line, int status, std::size_t bytes,
             double seconds, const std::string& run_id) {
    if (!file_.enabled()) return;
    const auto header = [&](const char* name) {
      const auto it = req.headers.find(name);
      return it == req.headers.end() ? std::string("-") : it->second;
    };
    file_.WriteLine(fmt::format("{} - - [{}] \"{}\" {} {} \"{}\" \"{}\" rt={:.6f}{}{}\n",
                                req.remote, UtcNow("%d/%b/%Y:%H:%M:%S +0000"), Escape(request_line),
                                status, bytes, Escape(header("referer")),
                                Escape(header("user-agent")), seconds,
                                run_id.empty() ? "" : " run=", Escape(run_id)));
  }

 private:
  LogFile file_;
};

// JSON lines for events someone must look at: 5xx responses, handler exceptions, start, stop.
class ErrorLog {
 public:
  explicit ErrorLog(const std::string& target) : file_(target, "error log") {}
  // `fields` is a list of "key", "value" pairs, written as JSON strings.
  void Write(const char* level, const char* event,
             std::initializer_list<std::pair<const char*, std::string>> fields) {
    if (!file_.enabled()) return;
    std::string line = "{\"time\":\"" + UtcNow("%Y-%m-%dT%H:%M:%SZ") + "\",\"level\":\"" + level +
                       "\",\"event\":\"" + event + "\"";
    for (const auto& [key, value] : fields) {
      line += std::string(",\"") + key + "\":" + JsonString(value);
    }
    file_.WriteLine(line + "}\n");
  }

 private:
  static std::string JsonString(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  LogFile file_;
};

// "Date: <IMF-fixdate>\r\n", formatted once a second per thread.
const std::string& DateHeader() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string header;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    formatted_at = now;
    header = "Date: " + UtcNow("%a, %d %b %Y %H:%M:%S GMT") + "\r\n";
  }
  return header;
}

// The status line and header fields of a response, appended to `out` (a buffer each
// connection reuses, so this allocates nothing once warm).
void AppendResponseHead(std::string& out, const HttpResponse& response, std::size_t length,
                        bool keep_alive, int request_version) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(response.status));
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\nServer: trend-engine\r\n",
                 response.status, std::string_view(reason.data(), reason.size()));
  out += DateHeader();
  fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\nContent-Length: {}\r\n",
                 response.content_type, length);
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (request_version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

using Clock = std::chrono::steady_clock;

struct Session {
  explicit Session(tcp::socket s) : socket(std::move(s)) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);  // once: a system call
    remote = ec ? "-" : peer.address().to_string();
  }
  tcp::socket socket;
  std::string remote;
  std::string head;  // the response head, reused across requests
  bool busy = false;
  // The event loop's sweeper closes the connection once this passes; a handler on the worker
  // pool has none (Clock::time_point::max()).
  Clock::time_point deadline = Clock::time_point::max();
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpRouter router;
  std::unique_ptr<AccessLog> access_log;
  std::unique_ptr<ErrorLog> error_log;
  // Before the loops: a connection's coroutine, destroyed with its loop, returns its body
  // bytes to the budget.
  std::unique_ptr<BodyBudget> body_budget;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::list<std::weak_ptr<Session>>> sessions;  // per context, touched on its thread
  std::unique_ptr<asio::thread_pool> workers;
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> in_flight{0};
  std::uint16_t bound_port = 0;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  HttpResponse Dispatch(const HttpRequest& request, const HttpRoute& route) {
    try {
      return route.handle(request);
    } catch (const std::exception& e) {
      error_log->Write("error", "handler_failed",
                       {{"method", request.method}, {"path", request.path}, {"detail", e.what()}});
      return {500,
              "application/json",
              ErrorJson("internal error", e.what(), request.path),
              {},
              nullptr};
    }
  }

  asio::awaitable<void> Serve(std::shared_ptr<Session> session) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      HttpRequest request;
      RequestParser parser(request, access_log->enabled(), *body_budget);
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      // The deadline covers the whole request: a client sending a byte at a time still loses
      // the connection when it expires.
      session->deadline = Clock::now() + (first ? options.request_timeout : options.idle_timeout);
      beast::error_code ec;
      co_await http::async_read(session->socket, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      first = false;
      const auto request_read = Clock::now();
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof ||
          ec == asio::error::bad_descriptor) {
        break;
      }
      HttpResponse response;
      bool keep_alive = false;
      std::string request_line = "-";
      if (ec) {
        if (parser.over_budget()) {
          response.status = 503;
          response.body = ErrorJson("service unavailable",
                                    "the server holds its limit of request bodies (" +
                                        std::to_string(options.max_body_bytes_in_flight) +
                                        " bytes); retry shortly",
                                    "");
          response.headers["Retry-After"] = "1";
        } else if (ec == http::error::body_limit) {
          response.status = 413;
          response.body = ErrorJson(
              "payload too large",
              "the body exceeds " + std::to_string(options.max_body_bytes) + " bytes", "");
        } else if (ec == http::error::header_limit) {
          response.status = 431;
          response.body = ErrorJson("request header fields too large", ec.message(), "");
        } else {
          response.status = 400;
          response.body = ErrorJson("bad request", ec.message(), "");
        }
      } else {
        session->busy = true;
        ++in_flight;
        if (access_log->enabled()) {
          request.remote = session->remote;
          request_line = fmt::format("{} {} HTTP/{}.{}", request.method, parser.target(),
                                     request.version / 10, request.version % 10);
        }
        keep_alive = parser.keep_alive();
        if (auto refused = Refusal(options.access, request)) {
          response = std::move(*refused);  // before routing: a refused request runs nothing
        } else if (const HttpRoute route = router(request); route.heavy) {
          // Off the event loop: the worker pool runs it; this loop resumes with the response.
          session->deadline = Clock::time_point::max();
          response = co_await asio::co_spawn(
              workers->get_executor(),
              [this, &request, &route]() -> asio::awaitable<HttpResponse> {
                co_return Dispatch(request, route);
              },
              asio::use_awaitable);
        } else {
          response = Dispatch(request, route);
        }
      }
      keep_alive = keep_alive && !draining.load();
      // Head and body go out in one writev; a shared (cached) document is sent from where it
      // is, without copying it.
      const std::string& payload = response.payload();
      const bool send_body = request.method != "HEAD";
      session->head.clear();
      AppendResponseHead(session->head, response, payload.size(), keep_alive, request.version);
      const std::array<asio::const_buffer, 2> buffers{
          asio::buffer(session->head),
          asio::buffer(payload.data(), send_body ? payload.size() : 0)};
      session->deadline = Clock::now() + options.request_timeout;
      beast::error_code write_ec;
      co_await asio::async_write(session->socket, buffers,
                                 asio::redirect_error(asio::use_awaitable, write_ec));
      if (access_log->enabled()) {
        const auto run_id = response.headers.find("X-Run-Id");
        access_log->Write(request, request_line, response.status, send_body ? payload.size() : 0,
                          std::chrono::duration<double>(Clock::now() - request_read).count(),
                          run_id == response.headers.end() ? std::string() : run_id->second);
      }
      if (response.status >= 500) {
        error_log->Write("error", "server_error",
                         {{"status", std::to_string(response.status)}, {"path", request.path}});
      }
      if (session->busy) {
        session->busy = false;
        --in_flight;
      }
      if (write_ec || !keep_alive || ec) break;
    }
    beast::error_code ignored;
    session->socket.shutdown(tcp::socket::shutdown_send, ignored);
    session->socket.close(ignored);
  }

  // Closes the connections of one event loop whose deadline has passed, a few times per
  // timeout: one timer per loop instead of one timer operation per read and write.
  asio::awaitable<void> Sweep(std::size_t index) {
    const auto shortest = std::min(options.request_timeout, options.idle_timeout);
    const auto tick = std::clamp<std::chrono::milliseconds>(
        shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(500));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!draining) {
      timer.expires_after(tick);
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      const auto now = Clock::now();
      auto& list = sessions[index];
      for (auto it = list.begin(); it != list.end();) {
        auto session = it->lock();
        if (!session) {
          it = list.erase(it);
          continue;
        }
        if (session->deadline < now) session->socket.close(ec);
        ++it;
      }
    }
  }

  asio::awaitable<void> Accept(std::size_t index) {
    tcp::acceptor& acceptor = *acceptors[index];
    for (;;) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || draining) co_return;
        // Out of descriptors (or memory) the pending connection stays queued and accept fails
        // again at once: wait a little instead of spinning a core, and keep serving the others.
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket));
      sessions[index].push_back(session);  // the sweeper drops it once closed
      asio::co_spawn(acceptor.get_executor(), Serve(std::move(session)), asio::detached);
    }
  }
};

namespace {

// Our listeners set SO_REUSEPORT (one per event loop), so a second server started on the same
// port would bind too and silently take half the connections. A probe without the option
// fails on a port anyone listens on.
void RefuseBusyPort(const std::string& host, std::uint16_t port) {
  asio::io_context context;
  tcp::acceptor probe(context);
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (ec) return;  // reported by the real bind
  probe.open(endpoint.protocol(), ec);
  probe.set_option(asio::socket_base::reuse_address(true), ec);
  probe.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    throw std::runtime_error(host + ":" + std::to_string(port) +
                             ": the port is in use by another server (--reuse-port shares it)");
  }
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, HttpRouter router) : impl_(new Impl) {
  impl_->options = std::move(options);
  impl_->router = std::move(router);
}

HttpServer::~HttpServer() {
  Shutdown();
}

void HttpServer::Start() {
  Impl& s = *impl_;
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t loops = s.options.io_threads ? s.options.io_threads : cores;
  s.access_log = std::make_unique<AccessLog>(s.options.access_log);
  s.body_budget = std::make_unique<BodyBudget>(s.options.max_body_bytes_in_flight);
  s.error_log = std::make_unique<ErrorLog>(s.options.error_log);
  s.workers = std::make_unique<asio::thread_pool>(
      s.options.worker_threads ? s.options.worker_threads : cores);
  std::uint16_t port = s.options.port;
  if (port != 0 && !s.options.share_port) RefuseBusyPort(s.options.host, port);
  for (std::size_t i = 0; i < loops; ++i) {
    s.contexts.push_back(std::make_unique<asio::io_context>(1));
    auto acceptor = std::make_unique<tcp::acceptor>(*s.contexts.back());
    beast::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(s.options.host, ec), port);
    if (ec) throw std::runtime_error("--host " + s.options.host + ": " + ec.message());
    acceptor->open(endpoint.protocol(), ec);
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    // Every loop listens on the same port; the kernel spreads the connections.
    acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    acceptor->bind(endpoint, ec);
    if (ec) {
      throw std::runtime_error(s.options.host + ":" + std::to_string(port) + ": " + ec.message());
    }
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("listen: " + ec.message());
    port = acceptor->local_endpoint().port();  // port 0 binds the rest to the chosen port
    s.acceptors.push_back(std::move(acceptor));
  }
  s.bound_port = port;
  s.error_log->Write("info", "listening",
                     {{"address", s.options.host + ":" + std::to_string(port)},
                      {"event_loops", std::to_string(loops)}});
  s.sessions.resize(loops);
}

std::uint16_t HttpServer::port() const {
  return impl_->bound_port;
}

std::int64_t HttpServer::in_flight() const {
  return impl_->in_flight.load();
}

bool HttpServer::Run(bool handle_signals) {
  Impl& s = *impl_;
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (std::size_t i = 0; i < s.contexts.size(); ++i) {
    guards.push_back(asio::make_work_guard(*s.contexts[i]));
    asio::co_spawn(*s.contexts[i], s.Accept(i), asio::detached);
    asio::co_spawn(*s.contexts[i], s.Sweep(i), asio::detached);
  }
  std::unique_ptr<asio::signal_set> signals;
  if (handle_signals) {
    signals = std::make_unique<asio::signal_set>(*s.contexts[0], SIGINT, SIGTERM);
    signals->async_wait([this](const beast::error_code& ec, int) {
      if (!ec) Shutdown();
    });
  }
  for (auto& context : s.contexts) threads.emplace_back([&context] { context->run(); });
  {
    std::unique_lock lock(s.stop_mutex);
    s.stop_cv.wait(lock, [&] { return s.stop_requested; });
  }
  // Drain: no new connections, idle keep-alive connections closed, in-flight requests finish.
  for (std::size_t i = 0; i < s.contexts.size(); ++i) {
    asio::post(*s.contexts[i], [&s, i] {
      beast::error_code ec;
      s.acceptors[i]->close(ec);
      for (auto& weak : s.sessions[i]) {
        if (auto session = weak.lock(); session && !session->busy) {
          session->socket.close(ec);
        }
      }
    });
  }
  if (signals) asio::post(*s.contexts[0], [&signals] { signals->cancel(); });
  const auto grace = s.options.shutdown_grace;
  // The last moments of the grace period are for stopping the loops and exiting.
  const auto deadline =
      Clock::now() + grace -
      std::min<std::chrono::milliseconds>(grace / 20, std::chrono::milliseconds(250));
  const auto cancel_at =
      deadline - std::min<std::chrono::milliseconds>(grace / 4, std::chrono::seconds(3));
  bool cancelled = false;
  while (s.in_flight.load() > 0 && Clock::now() < deadline) {
    if (!cancelled && Clock::now() >= cancel_at && s.options.cancel_in_flight) {
      s.error_log->Write("warn", "cancelling", {{"in_flight", std::to_string(s.in_flight.load())}});
      s.options.cancel_in_flight();
      cancelled = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  guards.clear();
  for (auto& context : s.contexts) context->stop();
  for (auto& thread : threads) thread.join();
  const std::int64_t abandoned = s.in_flight.load();
  s.error_log->Write("info", "stopped", {{"in_flight_abandoned", std::to_string(abandoned)}});
  if (abandoned > 0) {
    // A handler is still computing: joining would wait for it, past the promised bound.
    s.workers->stop();
    (void)s.workers.release();  // NOLINT: left to the process exit
    return false;
  }
  s.workers->join();
  return true;
}

void HttpServer::Shutdown() {
  Impl& s = *impl_;
  s.draining = true;
  {
    std::lock_guard lock(s.stop_mutex);
    s.stop_requested = true;
  }
  s.stop_cv.notify_all();
}

}  // namespace trend
