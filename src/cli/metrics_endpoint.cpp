#include "cli/metrics_endpoint.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <utility>  // std::exchange, which Boost.Asio 1.81 uses without including

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>
#include <thread>

#include "error/input_error.hpp"

namespace trend {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct MetricsEndpoint::State {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  std::function<std::string()> metrics;
  std::thread thread;

  void Serve() {
    for (;;)
      if (!ServeOne(timeval{5, 0})) return;  // closed: the process is ending
  }

  // Accepts one connection and answers it; false when the acceptor is closed.
  bool ServeOne(timeval read_timeout) {
    boost::system::error_code error;
    asio::ip::tcp::socket socket(io);
    acceptor.accept(socket, error);
    if (error) return false;
    // A client that sends nothing does not hold the server.
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, error);
    if (!error) Answer(socket, request);
    return true;
  }

  void Answer(asio::ip::tcp::socket& socket, const http::request<http::string_body>& request) {
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(false);
    if (request.target() == "/metrics") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4");
      response.body() = metrics();
    } else if (request.target() == "/healthz") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain");
      response.body() = "ok\n";
    } else {
      response.result(http::status::not_found);
      response.body() = "not found: try /metrics or /healthz\n";
    }
    response.prepare_payload();
    boost::system::error_code error;
    http::write(socket, response, error);
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, error);
  }
};

MetricsEndpoint::MetricsEndpoint(int port, std::function<std::string()> metrics, Serving serving)
    : state_(std::make_unique<State>()) {
  state_->metrics = std::move(metrics);
  boost::system::error_code error;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                                         static_cast<unsigned short>(port));
  state_->acceptor.open(endpoint.protocol(), error);
  if (!error) state_->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) state_->acceptor.bind(endpoint, error);
  if (!error) state_->acceptor.listen(16, error);
  if (error)
    throw InputError(fmt::format("--metrics-port {}: cannot listen: {}", port, error.message()));
  if (serving == Serving::kOwnThread)
    state_->thread = std::thread([state = state_.get()] { state->Serve(); });
}

void MetricsEndpoint::Poll(std::chrono::milliseconds timeout) {
  pollfd ready{state_->acceptor.native_handle(), POLLIN, 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) <= 0) return;
  state_->ServeOne(timeval{1, 0});  // a short read timeout: the caller has other work
}

MetricsEndpoint::~MetricsEndpoint() {
  boost::system::error_code error;
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);  // wakes the blocked accept
  state_->acceptor.close(error);
  state_->io.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

int MetricsEndpoint::port() const {
  return state_->acceptor.local_endpoint().port();
}

}  // namespace trend
