#include "jobs/redis_broker.hpp"

#include "jobs/result_backend.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <random>
#include <thread>

namespace trend::jobs {
namespace {

constexpr const char* kUnacked = "unacked";
constexpr const char* kUnackedIndex = "unacked_index";
constexpr const char* kPrioritySeparator = "\x06\x16";
constexpr int kPriorities[] = {0, 3, 6, 9};             // kombu's priority_steps; 0 is served first
constexpr std::chrono::milliseconds kLongestWait{200};  // one blocking wait of a fetch

// KEYS: unacked, unacked_index, then the lists in order. ARGV: max messages, the tag prefix
// (unique per fetch: the n-th message taken is tagged prefix .. n, so that a fetch whose reply
// was lost can be undone by its tags). Returns tag1, message1, tag2, message2, ... A message kombu
// did not write (no delivery tag) gets one made up, so that it can be acknowledged like any other.
// The unacked entry names the queue the message came from (exchange '' and the queue as the
// routing key, which kombu's restore reads as "this queue"), and the tag is made here rather
// than read from the message: scanning each message for its fields cost more in Lua than all
// the rest of the fetch.
const std::string kFetchBody = R"lua(
local out = {}
local max = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local prefix = ARGV[2]
local fields, scores = {}, {}
for i = 3, #KEYS do
  if #out >= 2 * max then break end
  local popped = redis.call('RPOP', KEYS[i], max - #out / 2)
  if popped then
    local suffix = ', "", "' .. string.gsub(KEYS[i], '\6\22.*$', '') .. '"]'
    for _, m in ipairs(popped) do
      local tag = prefix .. (#out / 2 + 1)
      fields[#fields + 1] = tag
      fields[#fields + 1] = '[' .. m .. suffix
      scores[#scores + 1] = now
      scores[#scores + 1] = tag
      out[#out + 1] = tag
      out[#out + 1] = m
    end
  end
end
if #fields > 0 then
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('ZADD', KEYS[2], unpack(scores))
end
)lua";
const std::string kFetchScript = kFetchBody + "return out\n";

// The fetch, then claims for a few messages (a queue being drained has its batch claimed by the
// worker in one call instead: finding ids in Lua costs more than that round trip there).
// ARGV[3..8]: the backend's database, the broker's, the worker, the claim TTL, the result and
// claim key prefixes. Returns {the
// fetch's list, {id, redelivered '1'|'0', outcome} per message or nothing}. An id is the
// first "id" key of the envelope, which is the headers': inside a JSON string every quote is
// escaped, and the body is base64. The worker checks it against the message it decodes.
const std::string& FetchClaimScript() {
  static const std::string kScript = kFetchBody + ClaimLuaFunction() + R"lua(
local claimed = {}
if #out > 0 and #out <= 8 then
  redis.call('SELECT', ARGV[3])
  for i = 2, #out, 2 do
    local m = out[i]
    local id = string.match(m, '"id":%s*"([^"\\]*)"')
    local re = string.find(m, '"redelivered": true', 1, true) or
               string.find(m, '"redelivered":true', 1, true)
    local outcome = ''
    if id then
      outcome = claim(ARGV[7] .. id, ARGV[8] .. id, ARGV[5], ARGV[6], re ~= nil)
    end
    claimed[#claimed + 1] = id or ''
    claimed[#claimed + 1] = re and '1' or '0'
    claimed[#claimed + 1] = outcome
  end
  redis.call('SELECT', ARGV[4])
end
return {out, claimed}
)lua";
  return kScript;
}

// Puts unacknowledged messages back on their queues, marked redelivered, as kombu's
// restore_by_tag does (RPUSH: the next to be popped). KEYS: unacked, unacked_index.
// ARGV[1] = 'expired' (ARGV[2]: visibility timeout in seconds, ARGV[3]: at most this many) or
// 'tags' (ARGV[2..]: the tags). Returns how many went back.
const std::string kRestoreScript = R"lua(
local tags
if ARGV[1] == 'expired' then
  local t = redis.call('TIME')
  local ceiling = tonumber(t[1]) + tonumber(t[2]) / 1000000 - tonumber(ARGV[2])
  tags = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ceiling, 'LIMIT', 0, tonumber(ARGV[3]))
else
  tags = {}
  for i = 2, #ARGV do tags[#tags + 1] = ARGV[i] end
end
local restored = 0
for _, tag in ipairs(tags) do
  local p = redis.call('HGET', KEYS[1], tag)
  redis.call('HDEL', KEYS[1], tag)
  redis.call('ZREM', KEYS[2], tag)
  if p then
    local ok, entry = pcall(cjson.decode, p)
    if ok and type(entry) == 'table' and type(entry[1]) == 'table' then
      local ex, rk = entry[2], entry[3]
      if type(ex) ~= 'string' then ex = '' end
      if type(rk) ~= 'string' then rk = '' end
      local suffix = ', "' .. ex .. '", "' .. rk .. '"]'  -- as json.dumps and our fetch write it
      local m
      if string.sub(p, -#suffix) == suffix then
        m = string.sub(p, 2, #p - #suffix)
      else
        m = cjson.encode(entry[1])
      end
      -- Marked first: JSON readers keep the last of repeated keys, and kombu only adds true.
      m = string.gsub(m, '"headers":%s*{%s*}', '"headers": {"redelivered": true}', 1)
      m = string.gsub(m, '"headers":%s*{(%s*")', '"headers": {"redelivered": true, %1', 1)
      m = string.gsub(m, '"delivery_info":%s*{(%s*")', '"delivery_info": {"redelivered": true, %1', 1)
      local queues = {}
      if ex ~= '' then
        for _, binding in ipairs(redis.call('SMEMBERS', '_kombu.binding.' .. ex)) do
          local key, _, queue = string.match(binding, '^(.-)\6\22(.-)\6\22(.*)$')
          if key == rk and queue then queues[#queues + 1] = queue end
        end
      end
      if #queues == 0 and rk ~= '' then queues[1] = rk end
      for _, queue in ipairs(queues) do redis.call('RPUSH', queue, m) end
      restored = restored + 1
    end
  end
end
return restored
)lua";

// Refreshes the time of messages still being worked on. KEYS: unacked_index; ARGV: tags.
const std::string kTouchScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now, ARGV[i]) end
return #ARGV
)lua";

}  // namespace

RedisBroker::RedisBroker(const std::string& url, BrokerOptions options)
    : options_(std::move(options)),
      // Replies may take a blocking wait's 200 ms longer: one timeout for every command, so
      // that a fetch changes no socket option (two system calls a task, when tasks trickle).
      redis_(ParseRedisUrl(url), options_.timeout + kLongestWait, "broker", options_.stop) {
  if (options_.queues.empty()) throw std::invalid_argument("no queue to consume from");
  std::random_device random;
  instance_ = fmt::format("{:08x}{:08x}", random(), random());
  for (int priority : kPriorities) {
    for (const auto& queue : options_.queues) {
      lists_.push_back(priority == 0 ? queue
                                     : fmt::format("{}{}{}", queue, kPrioritySeparator, priority));
    }
  }
}

RedisBroker::~RedisBroker() {
  try {
    SendPending();
  } catch (const std::exception&) {
    // Gone with the connection: the messages come back after the visibility timeout, and
    // their stored results keep them from running again.
  }
}

bool RedisBroker::SendWithNextFetch(const RedisEndpoint& server,
                                    std::vector<std::vector<std::string>>& commands) {
  const RedisEndpoint& own = redis_.endpoint();
  if (server.host != own.host || server.port != own.port || server.password != own.password)
    return false;
  for (auto& command : commands) pending_commands_.emplace_back(server.db, std::move(command));
  commands.clear();
  return true;
}

RedisBroker::Appended RedisBroker::AppendPending(RedisClient& c) {
  Appended out;
  // The shortest reply a command can get: "+OK\r\n" for SELECT and SET, an integer (":0\r\n")
  // for the others sent here (HDEL, ZREM, PUBLISH, DEL, EXPIRE); an error is longer.
  auto add = [&](const std::vector<std::string_view>& command) {
    c.Append(command);
    ++out.replies;
    out.least_bytes += command.front() == "SELECT" || command.front() == "SET" ? 5 : 4;
  };
  int db = redis_.endpoint().db;
  for (const auto& [command_db, command] : pending_commands_) {
    if (command_db != db) {
      db = command_db;
      add({"SELECT", std::to_string(db)});
    }
    add(std::vector<std::string_view>(command.begin(), command.end()));
  }
  if (db != redis_.endpoint().db) add({"SELECT", std::to_string(redis_.endpoint().db)});
  if (!pending_acks_.empty()) {
    std::vector<std::string_view> hdel = {"HDEL", kUnacked};
    std::vector<std::string_view> zrem = {"ZREM", kUnackedIndex};
    hdel.insert(hdel.end(), pending_acks_.begin(), pending_acks_.end());
    zrem.insert(zrem.end(), pending_acks_.begin(), pending_acks_.end());
    add(hdel);
    add(zrem);
  }
  return out;
}

void RedisBroker::SendPending() {
  if (pending_acks_.empty() && pending_commands_.empty()) return;
  redis_.Run([&](RedisClient& c) {
    AppendPending(c);
    for (const auto& r : c.Flush()) CheckReply(r, "storing results and acknowledging tasks");
    return 0;
  });
  pending_acks_.clear();
  pending_commands_.clear();
}

std::vector<Delivery> RedisBroker::Fetch(std::size_t max, std::chrono::milliseconds wait) {
  std::vector<std::string_view> keys = {kUnacked, kUnackedIndex};
  keys.insert(keys.end(), lists_.begin(), lists_.end());
  const std::size_t asked = std::max<std::size_t>(max, 1);
  const std::string count = std::to_string(asked);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  RedisReply reply;
  // One round trip per pass: the acknowledgements waiting to go, then (when the last fetch
  // found the queue short, so it is probably empty now) a wait for a message without taking
  // it, then the fetch. BLMOVE from the tail to the tail of the same list blocks while the
  // list is empty and leaves it as it was, and returns at once when it is not. With several
  // lists (priorities, queues) only the first is watched; the others are seen at the next
  // pass, at most 200 ms later. A message that arrives alone thus costs one round trip to
  // fetch, not three.
  const std::string& script = options_.claims ? FetchClaimScript() : kFetchScript;
  std::string prefix;
  std::vector<std::string_view> args = {count, prefix};
  std::string backend_db, broker_db, ttl, meta_prefix, claim_prefix;
  if (options_.claims) {
    backend_db = std::to_string(options_.claims->backend_db);
    broker_db = std::to_string(redis_.endpoint().db);
    ttl = std::to_string(options_.claims->ttl.count());
    meta_prefix = MetaKey("");
    claim_prefix = ClaimKey("");
    args.insert(args.end(),
                {backend_db, broker_db, options_.claims->worker, ttl, meta_prefix, claim_prefix});
  }
  // A poller's first pass never sleeps: its results and acknowledgements go out at once.
  bool block = queue_was_short_ && !options_.idle_poll;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (options_.stop && options_.stop->load()) block = false;
    const auto step = std::clamp(left, std::chrono::milliseconds(1), kLongestWait);
    if (block && options_.idle_poll) {
      // Not the group's waiter: look again after a while (what waits to go has gone), longer
      // after each empty look.
      idle_interval_ =
          idle_interval_.count() == 0
              ? *options_.idle_poll
              : std::min(2 * idle_interval_,
                         std::max(*options_.idle_poll, BrokerOptions::kIdlePollCeiling));
      std::this_thread::sleep_for(std::min(step, idle_interval_));
    }
    reply = redis_.Run([&](RedisClient& c) {
      c.LoadScript(script);
      // A fetch whose reply never came (the server went away after running it: a stopping
      // Redis drops the replies of its last moments) left its messages in the unacked hash,
      // where they would wait a visibility timeout. Put back first, by their tags.
      std::size_t restores = 0;
      if (!unanswered_fetches_.empty()) {
        c.LoadScript(kRestoreScript);
        std::vector<std::string> tags;
        for (const auto& [unanswered, taken] : unanswered_fetches_) {
          for (std::size_t n = 1; n <= taken; ++n) tags.push_back(unanswered + std::to_string(n));
        }
        std::vector<std::string_view> restore_args = {"tags"};
        restore_args.insert(restore_args.end(), tags.begin(), tags.end());
        c.AppendScript(kRestoreScript, {kUnacked, kUnackedIndex}, restore_args);
        restores = 1;
      }
      prefix = fmt::format("trend.{}.{}.", instance_, ++fetches_);
      args[1] = prefix;
      unanswered_fetches_.emplace_back(prefix, asked);
      const Appended acks = AppendPending(c);
      const bool waits = block && !options_.idle_poll;
      if (waits) {
        c.Append({"BLMOVE", lists_[0], lists_[0], "RIGHT", "RIGHT",
                  fmt::format("{:.3f}", static_cast<double>(step.count()) / 1000)});
      }
      c.AppendScript(script, keys, args);
      // The acknowledgements' replies come at once, the wait's when a message does: read
      // together, a trickled task wakes the worker once instead of twice.
      const std::size_t before_fetch = restores + acks.replies;
      std::vector<RedisReply> replies = waits && before_fetch > 0
                                            ? c.FlushAwaiting(acks.least_bytes + 4 * restores + 1)
                                            : c.Flush();
      unanswered_fetches_.clear();  // every reply came, the fetch's included
      if (replies.back().error() && replies.back().text.rfind("NOSCRIPT", 0) == 0) {
        c.ForgetScript(script);  // the server lost its scripts: loaded at the next pass
        replies.back() = RedisReply{};
      }
      for (std::size_t i = 0; i < replies.size(); ++i) {
        CheckReply(replies[i], i < restores ? "restoring an unanswered fetch"
                               : i < restores + acks.replies
                                   ? "storing results and acknowledging tasks"
                                   : "fetching tasks");
      }
      return std::move(replies.back());
    });
    pending_acks_.clear();
    pending_commands_.clear();
    // With claims the reply is {the fetch's list, the claims}.
    RedisReply* fetched = &reply;
    if (options_.claims) {
      if (reply.elements.size() != 2) throw RedisError("fetching tasks: wrong reply");
      fetched = &reply.elements[0];
    }
    if (!fetched->elements.empty()) {
      idle_interval_ = std::chrono::milliseconds(0);
      break;
    }
    if (left.count() <= 0 || (options_.stop && options_.stop->load())) {
      queue_was_short_ = true;
      return {};
    }
    block = true;
  }
  const std::vector<RedisReply>& list =
      options_.claims ? reply.elements[0].elements : reply.elements;
  const std::vector<RedisReply> none;
  const std::vector<RedisReply>& claims = options_.claims ? reply.elements[1].elements : none;
  queue_was_short_ = list.size() / 2 < max;
  std::vector<Delivery> deliveries;
  deliveries.reserve(list.size() / 2);
  for (std::size_t i = 0; i + 1 < list.size(); i += 2) {
    Delivery d;
    d.tag = list[i].text;
    try {
      d.message = DecodeRedisEnvelope(list[i + 1].text);
    } catch (const PoisonMessage& poison) {
      d.poison = poison;
    }
    const std::size_t k = 3 * (i / 2);
    if (k + 2 < claims.size() && !claims[k].text.empty())
      d.claim = FetchedClaim{claims[k].text, claims[k + 1].text == "1", claims[k + 2].text};
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

void RedisBroker::Ack(const std::vector<std::string>& tags) {
  pending_acks_.insert(pending_acks_.end(), tags.begin(), tags.end());
}

void RedisBroker::Requeue(const std::vector<std::string>& tags) {
  SendPending();
  if (tags.empty()) return;
  std::vector<std::string_view> args = {"tags"};
  args.insert(args.end(), tags.begin(), tags.end());
  redis_.Run([&](RedisClient& c) {
    CheckReply(c.Script(kRestoreScript, {kUnacked, kUnackedIndex}, args), "requeueing tasks");
    return 0;
  });
}

void RedisBroker::Touch(const std::vector<std::string>& tags) {
  if (tags.empty()) return;
  std::vector<std::string_view> args(tags.begin(), tags.end());
  redis_.Run([&](RedisClient& c) {
    CheckReply(c.Script(kTouchScript, {kUnackedIndex}, args), "refreshing running tasks");
    return 0;
  });
}

std::size_t RedisBroker::RestoreExpired() {
  const std::string timeout = std::to_string(options_.visibility_timeout.count());
  return redis_.Run([&](RedisClient& c) {
    const RedisReply r =
        c.Script(kRestoreScript, {kUnacked, kUnackedIndex}, {"expired", timeout, "1000"});
    CheckReply(r, "restoring unacknowledged tasks");
    return static_cast<std::size_t>(r.integer);
  });
}

void RedisBroker::Publish(const OutgoingTask& task) {
  const std::string envelope = EncodeRedisEnvelope(task, "trend");
  redis_.Run([&](RedisClient& c) {
    CheckReply(c.Command({"LPUSH", task.queue, envelope}), "sending a task");
    return 0;
  });
}

std::size_t RedisBroker::QueueLength(const std::string& queue) {
  return redis_.Run([&](RedisClient& c) {
    std::size_t total = 0;
    for (int priority : kPriorities) {
      const std::string list =
          priority == 0 ? queue : fmt::format("{}{}{}", queue, kPrioritySeparator, priority);
      c.Append({"LLEN", list});
    }
    for (const auto& r : c.Flush()) {
      CheckReply(r, "counting queued tasks");
      total += static_cast<std::size_t>(r.integer);
    }
    return total;
  });
}

}  // namespace trend::jobs
