#include "jobs/redis_client.hpp"

#include <sys/socket.h>

#include "jobs/resilient_redis.hpp"

#include <hiredis/hiredis.h>

#include <fmt/format.h>
#include <algorithm>

namespace trend::jobs {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

int ParsePart(const std::string& url, const std::string& text, const char* what) {
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty())
    throw std::invalid_argument(fmt::format("{}: the {} must be a number", url, what));
  return value;
}

}  // namespace

RedisEndpoint ParseRedisUrl(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0)
    throw std::invalid_argument(url + ": expected redis://[:password@]host[:port][/db]");
  RedisEndpoint e;
  std::string rest = url.substr(kScheme.size());
  e.url = url;
  if (const std::size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string user_info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = user_info.find(':');
    e.password = colon == std::string::npos ? user_info : user_info.substr(colon + 1);
    e.url = fmt::format("redis://***@{}", rest);
  }
  if (const std::size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) e.db = ParsePart(url, db, "database");
  }
  if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
    const std::size_t close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument(url + ": unclosed '['");
    e.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument(url + ": expected ':' after ']'");
      e.port = ParsePart(url, rest.substr(1), "port");
    }
  } else {
    const std::size_t colon = rest.rfind(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) e.port = ParsePart(url, rest.substr(colon + 1), "port");
  }
  if (e.host.empty()) throw std::invalid_argument(url + ": no host");
  if (e.port < 1 || e.port > 65535)
    throw std::invalid_argument(url + ": the port must be between 1 and 65535");
  if (e.db < 0) throw std::invalid_argument(url + ": the database must be 0 or more");
  return e;
}

RedisClient::RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
  try {
    Connect();
  } catch (...) {
    if (context_) redisFree(context_);
    throw;
  }
}

RedisClient::~RedisClient() {
  if (context_) redisFree(context_);
}

void RedisClient::Connect() {
  low_water_ = 1;
  context_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, ToTimeval(timeout_));
  if (!context_ || context_->err) {
    const std::string reason = context_ ? context_->errstr : "out of memory";
    if (context_) redisFree(context_);
    context_ = nullptr;
    throw RedisError(fmt::format("{}: cannot connect: {}", endpoint_.url, reason));
  }
  redisSetTimeout(context_, ToTimeval(timeout_));
  if (!endpoint_.password.empty()) {
    const RedisReply reply = Command({"AUTH", endpoint_.password});
    if (reply.error()) throw RedisError(fmt::format("{}: {}", endpoint_.url, reply.text));
  }
  if (endpoint_.db != 0) {
    const std::string db = std::to_string(endpoint_.db);
    const RedisReply reply = Command({"SELECT", db});
    if (reply.error()) throw RedisError(fmt::format("{}: {}", endpoint_.url, reply.text));
  }
}

void RedisClient::SetTimeout(std::chrono::milliseconds timeout) {
  redisSetTimeout(context_, ToTimeval(timeout));
}

void RedisClient::Append(const std::vector<std::string_view>& args) {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  pointers.reserve(args.size());
  lengths.reserve(args.size());
  for (std::string_view a : args) {
    pointers.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), pointers.data(),
                             lengths.data()) != REDIS_OK) {
    throw RedisError(fmt::format("{}: {}", endpoint_.url, context_->errstr));
  }
  ++pending_;
}

RedisReply RedisClient::Read() {
  void* raw = nullptr;
  if (low_water_ != 1) {
    // A reply not yet whole must not wait for more bytes than it may have left.
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) raw = nullptr;
    if (raw == nullptr) SetLowWater(1);
  }
  if (raw == nullptr && (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr)) {
    pending_ = 0;
    throw RedisError(fmt::format("{}: connection lost: {}", endpoint_.url,
                                 context_->errstr[0] ? context_->errstr : "no reply"));
  }
  auto* reply = static_cast<redisReply*>(raw);
  RedisReply out = Convert(reply);
  freeReplyObject(reply);
  --pending_;
  return out;
}

RedisReply RedisClient::Receive() {
  ++pending_;  // a pushed message: nothing was sent for it
  return Read();
}

void RedisClient::ShutDown() {
  if (context_ != nullptr && context_->fd >= 0) ::shutdown(context_->fd, SHUT_RDWR);
}

std::vector<RedisReply> RedisClient::Flush() {
  std::vector<RedisReply> replies;
  replies.reserve(pending_);
  while (pending_ > 0) replies.push_back(Read());
  return replies;
}

std::vector<RedisReply> RedisClient::FlushAwaiting(std::size_t bytes) {
  if (pending_ > 0 && bytes > 1) {
    for (int done = 0; !done;) {
      if (redisBufferWrite(context_, &done) != REDIS_OK) {
        pending_ = 0;
        throw RedisError(fmt::format("{}: connection lost: {}", endpoint_.url, context_->errstr));
      }
    }
    // The socket's low-water mark makes one read wait for `bytes` and take all there is then
    // (with MSG_WAITALL a second read took the rest). Set only when it changes: a trickle of
    // tasks asks for the same every time. Other reads put it back to 1 before they wait.
    SetLowWater(bytes);
    char buffer[16 * 1024];
    const ssize_t got = ::recv(context_->fd, buffer, sizeof buffer, 0);
    // Nothing read (a timeout, a signal, a closed connection): the reads below report it.
    if (got > 0 &&
        redisReaderFeed(context_->reader, buffer, static_cast<std::size_t>(got)) != REDIS_OK) {
      pending_ = 0;
      throw RedisError(fmt::format("{}: unreadable reply", endpoint_.url));
    }
  }
  return Flush();
}

void RedisClient::SetLowWater(std::size_t bytes) {
  if (bytes == low_water_) return;
  const int value = static_cast<int>(std::min<std::size_t>(bytes, 16 * 1024));
  if (::setsockopt(context_->fd, SOL_SOCKET, SO_RCVLOWAT, &value, sizeof value) == 0)
    low_water_ = bytes;
}

RedisReply RedisClient::Command(const std::vector<std::string_view>& args) {
  Append(args);
  return Flush().back();
}

std::string RedisClient::ShaOf(const std::string& body) {
  for (const auto& [text, sha] : scripts_) {
    if (text == body) return sha;
  }
  const RedisReply loaded = Command({"SCRIPT", "LOAD", body});
  if (loaded.type != RedisReply::Type::kString)
    throw RedisError(fmt::format("{}: SCRIPT LOAD: {}", endpoint_.url, loaded.text));
  scripts_.emplace_back(body, loaded.text);
  return loaded.text;
}

void RedisClient::AppendScript(const std::string& body, const std::vector<std::string_view>& keys,
                               const std::vector<std::string_view>& args) {
  const std::string sha = ShaOf(body);
  const std::string count = std::to_string(keys.size());
  std::vector<std::string_view> argv = {"EVALSHA", sha, count};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  Append(argv);
}

void RedisClient::ForgetScript(const std::string& body) {
  std::erase_if(scripts_, [&](const auto& s) { return s.first == body; });
}

RedisReply RedisClient::Script(const std::string& body, const std::vector<std::string_view>& keys,
                               const std::vector<std::string_view>& args) {
  AppendScript(body, keys, args);
  RedisReply reply = Flush().back();
  if (reply.error() && reply.text.rfind("NOSCRIPT", 0) == 0) {
    ForgetScript(body);
    AppendScript(body, keys, args);
    reply = Flush().back();
  }
  return reply;
}

void CheckReply(const RedisReply& reply, const char* what) {
  if (reply.error()) throw RedisError(fmt::format("{}: {}", what, reply.text));
}

}  // namespace trend::jobs
