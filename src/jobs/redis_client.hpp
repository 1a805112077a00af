// A blocking Redis connection (hiredis) for the job queue: one command, or a pipeline of many
// sent together and answered in order, which is how a worker pays one round trip per batch of
// tasks instead of one per task. A broken connection throws RedisError; the caller reconnects.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace trend::jobs {

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// redis://[:password@]host[:port][/db]
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string password;
  std::string url;  // as given, for messages (the password masked)
};
// Throws std::invalid_argument naming the URL.
RedisEndpoint ParseRedisUrl(const std::string& url);

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;  // string, status or error
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool nil() const { return type == Type::kNil; }
  bool error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  // Connects (and authenticates and selects the database); throws RedisError.
  RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command; an error reply is returned, not thrown (callers decide).
  RedisReply Command(const std::vector<std::string_view>& args);
  // Pipelining: Append queues a command, Flush sends them all and returns the replies in order.
  void Append(const std::vector<std::string_view>& args);
  std::vector<RedisReply> Flush();
  // Flush, but the first read waits for at least `bytes` of replies: with a blocking command
  // behind commands answered at once, a caller that knows the least those answers can weigh
  // asks for one byte more, and wakes once, when the blocking command answers, not twice.
  // More than the replies will ever hold would wait for the read timeout.
  std::vector<RedisReply> FlushAwaiting(std::size_t bytes);
  // The read timeout for the next replies (blocking commands need more than the default).
  void SetTimeout(std::chrono::milliseconds timeout);
  // EVALSHA, loading the script on NOSCRIPT (after a server restart, for instance).
  RedisReply Script(const std::string& body, const std::vector<std::string_view>& keys,
                    const std::vector<std::string_view>& args);
  void AppendScript(const std::string& body, const std::vector<std::string_view>& keys,
                    const std::vector<std::string_view>& args);
  // Loads the script now (AppendScript may have to load it, which cannot happen in the middle
  // of a pipeline), or forgets it after a NOSCRIPT reply in a pipeline.
  void LoadScript(const std::string& body) { ShaOf(body); }
  void ForgetScript(const std::string& body);

  // A subscriber's next message (after SUBSCRIBE), waiting as long as the timeout allows;
  // throws RedisError when the connection ends, also by ShutDown from another thread.
  RedisReply Receive();
  void ShutDown();

  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  void Connect();
  RedisReply Read();
  void SetLowWater(std::size_t bytes);
  std::string ShaOf(const std::string& body);

  RedisEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
  redisContext* context_ = nullptr;
  std::size_t pending_ = 0;
  std::size_t low_water_ = 1;                                 // SO_RCVLOWAT of the socket
  std::vector<std::pair<std::string, std::string>> scripts_;  // body, sha (few scripts)
};

}  // namespace trend::jobs
