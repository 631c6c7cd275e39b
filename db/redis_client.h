// RedisClient: a core's Redis connections (RedisOptions::connections, default 1), used by that
// core only. `co_await redis.call("INCR", key)` queues a command; all commands queued in one
// loop turn leave in one send and replies come back in order. Error replies become
// sluice::Error (see redis_error). start() before use, close() before destruction.
#pragma once

#include <concepts>
#include <coroutine>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "db/redis_options.h"
#include "db/redis_reply.h"
#include "db/redis_script.h"
#include "db/redis_stats.h"

namespace sluice {

class RedisConnection;

class RedisClient {
 public:
  RedisClient(Reactor& r, RedisOptions opts);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects every connection; fails with the first error unless all connected (those that
  // failed keep retrying in the background).
  Task<Status> start();
  Task<void> close();

  Task<Result<RedisReply>> command(std::vector<std::string> args, Deadline d);
  Task<Result<RedisReply>> command(std::vector<std::string> args) {
    return command(std::move(args), deadline_after(opts_.command_timeout));
  }
  // call("SET", key, value, "EX", 30): strings and integers become arguments.
  template <class... A>
  Task<Result<RedisReply>> call(const A&... args) {
    std::vector<std::string> v;
    v.reserve(sizeof...(args));
    (v.push_back(to_arg(args)), ...);
    return command(std::move(v));
  }
  // EVALSHA, with SCRIPT LOAD and one retry when the server does not know the script.
  Task<Result<RedisReply>> eval(RedisScript script, std::vector<std::string> keys, std::vector<std::string> args,
                                Deadline d);

  const RedisStats& stats() const { return stats_; }
  const RedisOptions& options() const { return opts_; }
  Reactor& reactor() { return r_; }
  size_t ready_connections() const;

 private:
  friend class RedisConnection;
  struct Park {
    std::coroutine_handle<>& slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
    void await_resume() const noexcept {}
  };

  static std::string to_arg(std::string_view s) { return std::string(s); }
  static std::string to_arg(const char* s) { return std::string(s); }
  static std::string to_arg(const std::string& s) { return s; }
  template <std::integral T>
  static std::string to_arg(T v) {
    return std::to_string(v);
  }
  Result<RedisConnection*> pick();
  void connection_attempted();

  Reactor& r_;
  RedisOptions opts_;
  std::vector<std::unique_ptr<RedisConnection>> conns_;
  RedisStats stats_;
  TaskGroup tasks_;
  std::coroutine_handle<> start_waiter_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace sluice
