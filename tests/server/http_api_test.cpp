// `trend app` over real loopback sockets: the demo run equals `trend run --json`, the proxy's
// modes decide which pipeline answers, the cache computes once, limits and bad requests get
// their status codes, slow clients are cut off, and shutdown lets in-flight requests finish.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "report/json_report.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"
#include "test_files.hpp"

namespace trend {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

Reply Send(std::uint16_t port, http::verb verb, const std::string& target,
           const std::string& body = "", const std::map<std::string, std::string>& extra = {}) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1");
  // What each POST carries, unless the test says otherwise.
  if (verb == http::verb::post) {
    request.set(http::field::content_type,
                target.rfind("/api/v1/datasets", 0) == 0 ? "text/csv" : "application/json");
  }
  for (const auto& [k, v] : extra) request.set(k, v);
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1u << 30);
  http::read(socket, buffer, parser);
  Reply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  for (const auto& field : parser.get()) {
    reply.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return reply;
}

// A server on a free loopback port, run on its own thread for the test's lifetime.
class AppServer {
 public:
  explicit AppServer(ApiOptions api_options = {}, HttpServerOptions options = {})
      : api_(api_options, modules_) {
    options.port = 0;
    options.io_threads = 2;
    options.worker_threads = 2;
    options.access_log = "";
    options.error_log = "";
    server_ = std::make_unique<HttpServer>(options,
                                           [this](const HttpRequest& r) { return api_.Route(r); });
    server_->Start();
    runner_ = std::thread([this] { server_->Run(false); });
  }
  ~AppServer() {
    server_->Shutdown();
    runner_.join();
  }
  std::uint16_t port() const { return server_->port(); }
  PipelineModuleRegistry& modules() { return modules_; }
  HttpServer& server() { return *server_; }

 private:
  PipelineModuleRegistry modules_;
  TrendApi api_;
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
};

json DemoRunBody() {
  return {{"config", testing::DemoConfigYaml()}, {"csv", testing::DemoReturnsCsv()}};
}

std::shared_ptr<PipelineModule> Override(std::atomic<int>* calls,
                                         std::chrono::milliseconds delay = {}) {
  auto module = std::make_shared<PipelineModule>("override");
  PipelineEntry run;
  run.run = [calls, delay](const PreparedReturns&, const AnalysisSettings&,
                           const PipelineContext&) {
    if (calls) ++*calls;
    std::this_thread::sleep_for(delay);
    AnalysisResult r;
    r.risk_free_column = "from-override";
    return r;
  };
  module->Set("run", std::move(run));
  return module;
}

// The history: runs listed newest first and paged, each with its request; exports are the
// files trend run --out writes (zipped when several); a client's export.filename names no
// directory and no header; the validator speaks as the CLI does.
TEST(HttpApi, RunsAreListedReopenedAndExported) {
  AppServer app;
  json body = DemoRunBody();
  body["dataset_name"] = "demo.csv";
  Reply first = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  ASSERT_EQ(first.status, 200) << first.body;
  body["config"] =
      testing::DemoConfigYaml() + "\nexport: {filename: \"../../x\\r\\nSet-Cookie: a\"}\n";
  Reply second = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  ASSERT_EQ(second.status, 200) << second.body;
  const json list = json::parse(Send(app.port(), http::verb::get, "/api/v1/runs?limit=1").body);
  EXPECT_EQ(list["total"], 2);
  ASSERT_EQ(list["runs"].size(), 1u);
  EXPECT_EQ(list["runs"][0]["id"], second.headers["X-Run-Id"]);
  EXPECT_EQ(list["runs"][0]["dataset_name"], "demo.csv");
  EXPECT_EQ(list["runs"][0]["summary"]["selection"], "rank");
  EXPECT_TRUE(list["runs"][0]["headline"].contains("sharpe"));
  EXPECT_EQ(list["next"], "/api/v1/runs?offset=1&limit=1");
  const std::string id = first.headers["X-Run-Id"];
  const json request =
      json::parse(Send(app.port(), http::verb::get, "/api/v1/runs/" + id + "/request").body);
  EXPECT_EQ(request["config"], testing::DemoConfigYaml());
  EXPECT_EQ(request["mode"], "single");
  Reply csv = Send(app.port(), http::verb::get, "/api/v1/runs/" + id + "/export?format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["Content-Type"], "application/zip");
  EXPECT_EQ(csv.body.substr(0, 4), std::string("PK\x03\x04", 4));
  Reply txt = Send(app.port(), http::verb::get, "/api/v1/runs/" + id + "/export?format=txt");
  ASSERT_EQ(txt.status, 200);
  EXPECT_NE(txt.headers["Content-Disposition"].find("_summary.txt"), std::string::npos);
  Reply html = Send(app.port(), http::verb::get,
                    "/api/v1/runs/" + second.headers["X-Run-Id"] + "/export?format=html");
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_EQ(html.headers["Content-Disposition"],
            "attachment; filename=\"x__Set-Cookie__a_report.html\"");
  EXPECT_EQ(html.headers.count("Set-Cookie"), 0u);
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/runs/" + id + "/export?format=doc").status,
            400);
  EXPECT_EQ(Send(app.port(), http::verb::get,
                 "/api/v1/runs/" + std::string(64, 'e') + "/export?format=csv")
                .status,
            404);
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/runs/..%2f..%2fetc/request").status, 404);
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/runs?limit=0").status, 400);
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/runs?color=red").status, 400);
  const json verdict = json::parse(Send(app.port(), http::verb::post, "/api/v1/config/validate",
                                        json{{"config", "portfolio:\n  rank:\n    n: 0\n"}}.dump())
                                       .body);
  EXPECT_EQ(verdict["valid"], false);
  EXPECT_EQ(verdict["error"],
            "config line 3: portfolio.rank.n = '0': expected a value in [1, 100000]");
  const json warned = json::parse(Send(app.port(), http::verb::post, "/api/v1/config/validate",
                                       json{{"config", "colour: blue\n"}}.dump())
                                      .body);
  EXPECT_EQ(warned["valid"], true);
  ASSERT_EQ(warned["warnings"].size(), 1u);
  EXPECT_NE(warned["warnings"][0].get<std::string>().find("unknown key 'colour'"),
            std::string::npos);
}

TEST(HttpApi, DemoRunEqualsTheCommandLineJson) {
  AppServer app;
  Reply reply = Send(app.port(), http::verb::post, "/api/v1/runs", DemoRunBody().dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const LoadedConfig config = LoadConfigFile(std::string(TREND_SOURCE_DIR) + "/config/demo.yml");
  json expected = json::parse(AnalysisToJsonText(
      AnalyseReturns(LoadReturnsCsv(config.settings.data.csv_path), config.settings, "demo.csv")));
  expected["warnings"] = json::array();  // demo.yml is strict-clean
  EXPECT_EQ(json::parse(reply.body), expected);
  EXPECT_EQ(reply.headers["X-Cache"], "miss");
  Reply again = Send(app.port(), http::verb::post, "/api/v1/runs", DemoRunBody().dump());
  EXPECT_EQ(again.headers["X-Cache"], "hit");
  EXPECT_EQ(again.body, reply.body);
  const Reply by_id =
      Send(app.port(), http::verb::get, "/api/v1/runs/" + reply.headers["X-Run-Id"]);
  EXPECT_EQ(by_id.status, 200);
  EXPECT_EQ(by_id.body, reply.body);
}

// Config warnings travel in the result; "strict": true turns them into a 422 listing them.
TEST(HttpApi, WarningsInTheResultAndStrictRefusesThem) {
  AppServer app;
  json body = DemoRunBody();
  body["config"] = body["config"].get<std::string>() + "\nrun: {log_level: INFO}\n";
  const Reply lenient = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  ASSERT_EQ(lenient.status, 200) << lenient.body;
  const std::string demo = testing::DemoConfigYaml();
  const auto line = std::count(demo.begin(), demo.end(), '\n') + 2;
  EXPECT_EQ(json::parse(lenient.body)["warnings"],
            json::array({fmt::format("config line {}: run.log_level has no effect: The "
                                     "reference's logging.",
                                     line)}));
  body["strict"] = true;
  const Reply strict = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  EXPECT_EQ(strict.status, 422) << strict.body;
  EXPECT_EQ(json::parse(strict.body)["error"], "strict");
  EXPECT_EQ(json::parse(strict.body)["warnings"].size(), 1u);
  // A run-time fallback (an unknown scheme) is refused under strict too, and not cached.
  json fallback = DemoRunBody();
  fallback["config"] = "data: {risk_free_column: SPX}\nportfolio: {weighting_scheme: HRP}\n";
  fallback["strict"] = true;
  const Reply refused = Send(app.port(), http::verb::post, "/api/v1/runs", fallback.dump());
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("portfolio.weighting_scheme = 'HRP' is not a weighting scheme"),
            std::string::npos)
      << refused.body;
  fallback["strict"] = false;
  const Reply ran = Send(app.port(), http::verb::post, "/api/v1/runs", fallback.dump());
  EXPECT_EQ(ran.status, 200);
  EXPECT_EQ(json::parse(ran.body)["warnings"].size(), 1u);
}

// Files and databases on the server are not the API's to read: a 422 naming the key.
TEST(HttpApi, ServerSideSourcesAreRefused) {
  AppServer app;
  for (const char* key :
       {"source: sqlite:///etc/trend.db", "universe_membership_path: /etc/m.csv"}) {
    json body = DemoRunBody();
    body["config"] = fmt::format("data: {{risk_free_column: SPX, {}}}\n", key);
    const Reply reply = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
    EXPECT_EQ(reply.status, 422) << key << ": " << reply.body;
    EXPECT_NE(reply.body.find("not read over the API"), std::string::npos) << reply.body;
  }
  const Reply usage = Send(app.port(), http::verb::get, "/api/v1/usage", "");
  EXPECT_EQ(usage.status, 404);
  EXPECT_NE(usage.body.find("--usage-db"), std::string::npos);
}

TEST(HttpApi, WrongFlagTypesAre422NotServerErrors) {
  AppServer app;
  for (const char* flag : {"multi_period", "strict"}) {
    json body = DemoRunBody();
    body[flag] = "yes";
    const Reply reply = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
    EXPECT_EQ(reply.status, 422) << flag;
    EXPECT_EQ(json::parse(reply.body)["detail"], std::string(flag) + ": expected true or false");
  }
}

TEST(HttpApi, ServesTheConfigJsonSchema) {
  AppServer app;
  const Reply reply = Send(app.port(), http::verb::get, "/api/v1/config/schema");
  ASSERT_EQ(reply.status, 200);
  const json schema = json::parse(reply.body);
  EXPECT_EQ(schema["properties"]["vol_adjust"]["properties"]["target_vol"]["exclusiveMinimum"], 0);
  EXPECT_EQ(schema["properties"]["multi_period"]["properties"]["frequency"]["x-choices"],
            json::array({"M", "Q", "A"}));
}

TEST(HttpApi, DefaultModeRunsTheOverrideAndSimpleModeTheBuiltInPipeline) {
  bool simple = false;
  ApiOptions options;
  options.simple_flag = [&simple] { return simple; };
  AppServer app(options);
  app.modules().Install(Override(nullptr));
  json body = DemoRunBody();
  const Reply patched = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["risk_free_column"], "from-override");
  simple = true;
  body["config"] = body["config"].get<std::string>() + "\n# another cache key\n";
  const Reply direct = Send(app.port(), http::verb::post, "/api/v1/runs", body.dump());
  ASSERT_EQ(direct.status, 200) << direct.body;
  EXPECT_EQ(json::parse(direct.body)["risk_free_column"], "SPX");
  const json debug = json::parse(Send(app.port(), http::verb::get, "/api/v1/debug/pipeline").body);
  ASSERT_EQ(debug["entries"].size(), 2u);
  EXPECT_FALSE(debug["entries"][0]["simple"].get<bool>());
  EXPECT_TRUE(debug["entries"][1]["simple"].get<bool>());
}

TEST(HttpApi, ConcurrentIdenticalRunsComputeOnce) {
  std::atomic<int> calls{0};
  AppServer app;
  app.modules().Install(Override(&calls, std::chrono::milliseconds(200)));
  const std::string body = DemoRunBody().dump();
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 6; ++i) {
    replies.push_back(std::async(std::launch::async, [&] {
      return Send(app.port(), http::verb::post, "/api/v1/runs", body);
    }));
  }
  for (auto& r : replies) EXPECT_EQ(r.get().status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpApi, BadRequestsGetTheirStatusAndAJsonError) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  AppServer app({}, options);
  const Reply too_big =
      Send(app.port(), http::verb::post, "/api/v1/datasets", std::string(5000, 'x'));
  EXPECT_EQ(too_big.status, 413);
  const Reply header = Send(app.port(), http::verb::get, "/api/v1/healthz", "",
                            {{"X-Big", std::string(20000, 'a')}});
  EXPECT_EQ(header.status, 431);
  const Reply malformed = Send(app.port(), http::verb::post, "/api/v1/runs", "{bad");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(json::parse(malformed.body)["error"], "malformed JSON");
  const Reply config = Send(app.port(), http::verb::post, "/api/v1/runs",
                            json{{"config", {{"vol_adjust", {{"target_vol", "high"}}}}},
                                 {"csv", "Date,A,RF\n2020-01-31,0.01,0.001\n"}}
                                .dump());
  EXPECT_EQ(config.status, 422);
  EXPECT_EQ(json::parse(config.body)["detail"],
            "config line 1: vol_adjust.target_vol = 'high': expected a number");
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/nothing").status, 404);
  EXPECT_EQ(Send(app.port(), http::verb::get, "/api/v1/datasets/unknown").status, 404);
  EXPECT_EQ(Send(app.port(), http::verb::delete_, "/api/v1/runs").status, 405);
  // A dataset whose column name is not UTF-8: a 422 naming it, and nothing stored.
  const Reply latin1_csv = Send(app.port(), http::verb::post, "/api/v1/datasets",
                                "Date,Caf\xe9,RF\n2020-01-31,0.1,0.001\n");
  EXPECT_EQ(latin1_csv.status, 422);
  // Bytes that are not UTF-8 in an id, and quotes: still a 404 with a JSON body, not a 500.
  const Reply latin1 = Send(app.port(), http::verb::get, "/api/v1/runs/caf\xe9\"x");
  EXPECT_EQ(latin1.status, 404);
  EXPECT_EQ(json::parse(latin1.body)["error"], "not found");
}

// A body nested 100,000 deep is refused before anything recurses over it.
// A POST without the right Content-Type is a 415: a web page can send text/plain or a form to
// 127.0.0.1 without a preflight, never application/json or text/csv.
TEST(HttpApi, PostsNeedTheirContentType) {
  AppServer app;
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    const Reply run = Send(app.port(), http::verb::post, "/api/v1/runs", DemoRunBody().dump(),
                           {{"Content-Type", type}});
    EXPECT_EQ(run.status, 415) << type;
    const Reply dataset = Send(app.port(), http::verb::post, "/api/v1/datasets",
                               testing::DemoReturnsCsv(), {{"Content-Type", type}});
    EXPECT_EQ(dataset.status, 415) << type;
  }
  const Reply json_utf8 = Send(app.port(), http::verb::post, "/api/v1/runs", DemoRunBody().dump(),
                               {{"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_EQ(json_utf8.status, 200);
}

TEST(HttpApi, DeeplyNestedJsonIsRefused) {
  AppServer app;
  const Reply deep =
      Send(app.port(), http::verb::post, "/api/v1/runs",
           "{\"config\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  EXPECT_EQ(deep.status, 400);
  EXPECT_EQ(json::parse(deep.body)["detail"], "the document nests deeper than 64 levels");
  EXPECT_EQ(Send(app.port(), http::verb::get, "/healthz").status, 200);  // still serving
  // A number JSON cannot hold is the client's error too.
  const Reply overflow = Send(app.port(), http::verb::post, "/api/v1/runs",
                              R"({"config": {"vol_adjust": {"target_vol": 1e400}}})");
  EXPECT_EQ(overflow.status, 400);
  EXPECT_EQ(json::parse(overflow.body)["error"], "malformed JSON");
}

TEST(HttpApi, MetricsDefaultsAndOpenApi) {
  AppServer app;
  Send(app.port(), http::verb::get, "/api/v1/healthz");
  const Reply metrics = Send(app.port(), http::verb::get, "/metrics");
  EXPECT_NE(metrics.body.find("trend_http_requests_total{route=\"GET /healthz\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("trend_pipeline_proxy_resolutions_total{mode=\"simple\"}"),
            std::string::npos);
  const json defaults =
      json::parse(Send(app.port(), http::verb::get, "/api/v1/config/defaults").body);
  EXPECT_TRUE(defaults.contains("portfolio"));
  const json openapi = json::parse(Send(app.port(), http::verb::get, "/api/v1/openapi.json").body);
  EXPECT_TRUE(openapi["paths"].contains("/api/v1/runs"));
}

TEST(HttpServer, AFailingHandlerIsA500AndAStructuredLogLine) {
  const std::string log = ::testing::TempDir() + "trend_error_log.jsonl";
  std::remove(log.c_str());
  {
    HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 1;
    options.access_log = "";
    options.error_log = log;
    HttpServer server(options, [](const HttpRequest&) {
      return HttpRoute{
          false, [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); }};
    });
    server.Start();
    std::thread runner([&] { server.Run(false); });
    const Reply reply = Send(server.port(), http::verb::get, "/api/v1/anything");
    EXPECT_EQ(reply.status, 500);
    EXPECT_EQ(json::parse(reply.body)["detail"], "boom");
    server.Shutdown();
    runner.join();
  }
  std::ifstream in(log);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.front()["event"], "listening");
  bool failed = false;
  for (const auto& line : lines) {
    if (line["event"] == "handler_failed") {
      failed = true;
      EXPECT_EQ(line["level"], "error");
      EXPECT_EQ(line["path"], "/api/v1/anything");
      EXPECT_EQ(line["detail"], "boom");
    }
  }
  EXPECT_TRUE(failed);
  EXPECT_EQ(lines.back()["event"], "stopped");
}

// Writes raw bytes, then reads until the server closes the connection.
struct RawReply {
  std::string received;
  beast::error_code ec;                      // how the connection ended
  std::chrono::steady_clock::duration open;  // from the last byte sent to the close
};

RawReply RawSend(std::uint16_t port, const std::string& text) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(text));
  const auto start = std::chrono::steady_clock::now();
  RawReply reply;
  char chunk[4096];
  while (!reply.ec) reply.received.append(chunk, socket.read_some(asio::buffer(chunk), reply.ec));
  reply.open = std::chrono::steady_clock::now() - start;
  return reply;
}

std::string RawExchange(std::uint16_t port, const std::string& text) {
  return RawSend(port, text).received;
}

bool ClosedByServer(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(HttpServer, WireFormat) {
  AppServer app;
  // HEAD: the GET route's head with its length, and no body.
  const std::string head = RawExchange(
      app.port(), "HEAD /api/v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 15\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nDate: "), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << head;

  // HTTP/1.0 without keep-alive: one answer, then the server closes.
  const std::string old = RawExchange(app.port(), "GET /api/v1/healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(Count(old, "HTTP/1.1 200 OK"), 1u) << old;
  EXPECT_NE(old.find("{\"status\":\"ok\"}"), std::string::npos) << old;

  // Pipelined requests are answered in order on one connection.
  const std::string pipelined = RawExchange(
      app.port(),
      "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/nowhere HTTP/1.1\r\nHost: "
      "x\r\n\r\nGET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto first = pipelined.find("HTTP/1.1 200 OK");
  const auto second = pipelined.find("HTTP/1.1 404 Not Found");
  const auto third = pipelined.find("HTTP/1.1 200 OK", second);
  EXPECT_TRUE(first < second && second < third && third != std::string::npos) << pipelined;

  // A chunked body is reassembled.
  const std::string csv = testing::DemoReturnsCsv();
  std::ostringstream chunked;
  chunked << "POST /api/v1/datasets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          << "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::size_t half = csv.size() / 2;
  chunked << std::hex << half << "\r\n"
          << csv.substr(0, half) << "\r\n"
          << (csv.size() - half) << "\r\n"
          << csv.substr(half) << "\r\n0\r\n\r\n";
  const std::string posted = RawExchange(app.port(), chunked.str());
  EXPECT_EQ(posted.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << posted;
  EXPECT_NE(posted.find("\"rows\":120"), std::string::npos) << posted;
}

// A Transfer-Encoding whose final coding is not chunked cannot be framed: 400 and close, and
// the body must not run as a second request (the smuggled GET used to get a 200).
TEST(HttpServer, TransferEncodingOtherThanFinalChunkedIs400) {
  AppServer app;
  const std::string smuggled = "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* coding : {"gzip", "chunked, gzip"}) {
    const std::string reply =
        RawExchange(app.port(), std::string("POST /api/v1/datasets HTTP/1.1\r\nHost: x\r\n") +
                                    "Transfer-Encoding: " + coding + "\r\n\r\n" + smuggled);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << coding << ": " << reply;
    EXPECT_EQ(Count(reply, "HTTP/1.1"), 1u) << coding << ": " << reply;
    EXPECT_EQ(reply.find("200 OK"), std::string::npos) << coding;
  }
}

TEST(HttpServer, ASlowClientIsCutOff) {
  HttpServerOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  AppServer app({}, options);
  // The head never ends: the server must give up on it.
  const RawReply reply = RawSend(app.port(), "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(ClosedByServer(reply.ec)) << reply.ec.message();
  EXPECT_EQ(reply.received, "");
  EXPECT_LT(reply.open, std::chrono::seconds(3));
}

TEST(HttpServer, AnIdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  AppServer app({}, options);
  const RawReply reply = RawSend(app.port(), "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(reply.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply.received;
  EXPECT_TRUE(ClosedByServer(reply.ec)) << reply.ec.message();
  EXPECT_GE(reply.open, std::chrono::milliseconds(250));
  EXPECT_LT(reply.open, std::chrono::seconds(3));
}

TEST(HttpServer, ShutdownFinishesInFlightRequests) {
  std::atomic<int> calls{0};
  auto app = std::make_unique<AppServer>();
  app->modules().Install(Override(&calls, std::chrono::milliseconds(400)));
  const std::uint16_t port = app->port();
  auto reply = std::async(std::launch::async, [&] {
    return Send(port, http::verb::post, "/api/v1/runs", DemoRunBody().dump());
  });
  while (calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  app.reset();  // Shutdown + join while the run is in flight
  EXPECT_EQ(reply.get().status, 200);
}

// The parser the server reads with, on bytes (what the fuzzer drives): a chunked body is
// joined, a coding other than a final chunked is refused, a truncated body is incomplete.
TEST(HttpMessage, ParsesOneRequestAsTheServerDoes) {
  const auto chunked = ParseHttpRequest(
      "POST /api/v1/datasets?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8501\r\nAuthorization: Bearer t\r\n"
      "Content-Type: text/csv\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      16 * 1024, 1024);
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->path, "/api/v1/datasets");
  EXPECT_EQ(chunked->query, "x=1");
  EXPECT_EQ(chunked->body, "abcde");
  EXPECT_EQ(chunked->host, "127.0.0.1:8501");
  EXPECT_EQ(chunked->authorization, "Bearer t");
  std::string error;
  EXPECT_FALSE(ParseHttpRequest("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
                                16 * 1024, 1024, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(ParseHttpRequest("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
                                16 * 1024, 1024, &error));
  EXPECT_FALSE(ParseHttpRequest("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n",
                                16 * 1024, 1024, &error));  // over the body limit
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n", 16 * 1024, 1024, &error));
  EXPECT_TRUE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 16 * 1024, 1024));
}

TEST(HttpMessage, AccessRules) {
  AccessRules rules;
  rules.bearer_token = "0123456789abcdef";
  rules.public_paths = {"/healthz", "/assets/*"};
  rules.allowed_hosts = {"localhost", "127.0.0.1", "::1"};
  HttpRequest request;
  request.path = "/api/v1/runs";
  request.host = "127.0.0.1:8501";
  EXPECT_EQ(Refusal(rules, request)->status, 401);
  EXPECT_EQ(Refusal(rules, request)->headers.at("WWW-Authenticate"), "Bearer realm=\"trend\"");
  request.authorization = "Bearer 0123456789abcdeF";
  EXPECT_EQ(Refusal(rules, request)->status, 401);
  request.authorization = "Bearer 0123456789abcdef";
  EXPECT_FALSE(Refusal(rules, request).has_value());
  request.authorization.clear();
  for (const char* path : {"/healthz", "/assets/app.js", "/assets/"}) {
    request.path = path;
    EXPECT_FALSE(Refusal(rules, request).has_value()) << path;
  }
  request.path = "/healthz/x";
  EXPECT_EQ(Refusal(rules, request)->status, 401);
  request.path = "/healthz";
  for (const char* host : {"[::1]:8501", "LocalHost", "localhost:1"}) {
    request.host = host;
    EXPECT_FALSE(Refusal(rules, request).has_value()) << host;
  }
  for (const char* host : {"evil.example", "127.0.0.2", "", "[::2]"}) {
    request.host = host;
    EXPECT_EQ(Refusal(rules, request)->status, 400) << host;
  }
}

}  // namespace
}  // namespace trend
