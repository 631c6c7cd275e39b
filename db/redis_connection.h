// RedisConnection: one RESP connection of a RedisClient, on a TcpStream. Commands queue as
// formatted bytes; a writer sends everything queued in one loop turn with one send, while the
// reader matches replies to commands in FIFO order. A dropped connection fails every queued
// command at once and reconnects (AUTH, SELECT) with backoff.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>

#include "core/cancellable_op.h"
#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "db/redis_reply.h"
#include "db/reply_waiter.h"
#include "db/resp_decoder.h"

namespace sluice {

class RedisClient;

class RedisConnection {
 public:
  enum class State : uint8_t { connecting, ready, broken, backoff, stopped };
  using Waiter = ReplyWaiter<RedisReply>;

  RedisConnection(RedisClient& client, unsigned index);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connect, handshake, read replies; reconnect with backoff; until stop().
  Task<void> run();
  // Sends what is queued, one send at a time.
  Task<void> write_loop();
  void stop();

  void enqueue(std::span<const std::string> args, Waiter* w);

  State state() const { return state_; }
  bool usable() const { return state_ == State::ready || state_ == State::connecting; }
  size_t load() const { return pending_.size(); }
  bool attempted() const { return attempted_; }
  const Error& last_error() const { return last_error_; }
  // Cuts a backoff short when the last attempt began at least `gap` ago (a command is waiting
  // for a connection); true if an attempt now starts.
  bool retry_now(Duration gap);

 private:
  struct Pending {
    Waiter* waiter = nullptr;
  };
  struct Park {
    std::coroutine_handle<>& slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
    void await_resume() const noexcept {}
  };

  Task<Status> connect_once();
  Task<void> read_loop();
  Task<void> drop_stream();
  bool deliver_replies();
  void lose(std::string why);
  void fail_all(const Error& e);
  void wake_writer();

  RedisClient& client_;
  unsigned index_;
  std::unique_ptr<TcpStream> stream_;
  RespDecoder decoder_;
  CancellableOp op_;  // the backoff sleep, cancelled by stop()
  std::string out_;      // formatted commands not yet handed to a send
  std::string sending_;  // the send in flight
  std::deque<Pending> pending_;
  std::coroutine_handle<> writer_;       // parked writer
  std::coroutine_handle<> writer_done_;  // who waits for the send in flight to end
  bool writing_ = false;
  State state_ = State::connecting;
  bool stopping_ = false;
  bool attempted_ = false;
  Clock::time_point attempt_started_{};
  Error last_error_{Errc::unavailable, "Redis connection not established yet"};
};

}  // namespace sluice
