#include "db/redis_connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

#include "core/backoff.h"
#include "core/log.h"
#include "db/redis_client.h"

namespace sluice {

namespace {

void append_command(std::string& out, std::span<const std::string> args) {
  const char* argv[16];
  size_t lens[16];
  std::vector<const char*> big_argv;
  std::vector<size_t> big_lens;
  const char** av = argv;
  size_t* al = lens;
  if (args.size() > 16) {
    big_argv.resize(args.size());
    big_lens.resize(args.size());
    av = big_argv.data();
    al = big_lens.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    av[i] = args[i].data();
    al[i] = args[i].size();
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), av, al);
  if (len > 0) out.append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
}

}  // namespace

RedisConnection::RedisConnection(RedisClient& client, unsigned index)
    : client_(client), index_(index), op_(client.reactor()) {}

void RedisConnection::stop() {
  stopping_ = true;
  if (stream_) stream_->interrupt_reader();
  op_.cancel();
  if (writer_) client_.reactor().schedule(std::exchange(writer_, {}));
}

bool RedisConnection::retry_now(Duration gap) {
  if (state_ != State::backoff || stopping_ || Clock::now() - attempt_started_ < gap) return false;
  state_ = State::connecting;  // run() goes on to connect_once() when its sleep ends cancelled
  op_.cancel();
  return true;
}

void RedisConnection::wake_writer() {
  if (writer_ && state_ == State::ready && !out_.empty()) client_.reactor().schedule(std::exchange(writer_, {}));
}

void RedisConnection::enqueue(std::span<const std::string> args, Waiter* w) {
  append_command(out_, args);
  pending_.emplace_back();
  if (w) w->hook(&pending_.back().waiter);
  ++client_.stats_.commands;
  wake_writer();
}

Task<void> RedisConnection::write_loop() {
  while (!stopping_) {
    if (state_ != State::ready || out_.empty()) {
      co_await Park{writer_};
      continue;
    }
    // Everything queued since the last send goes out together.
    sending_.swap(out_);
    out_.clear();
    ++client_.stats_.flushes;
    writing_ = true;
    Status s = co_await stream_->send_all(std::span<const char>(sending_), deadline_after(client_.options().command_timeout));
    writing_ = false;
    sending_.clear();
    if (!s) lose(s.error().message);
    if (writer_done_) client_.reactor().schedule(std::exchange(writer_done_, {}));
  }
}

void RedisConnection::lose(std::string why) {
  if (state_ != State::ready) return;
  state_ = State::broken;
  last_error_ = Error(Errc::unavailable, "Redis connection lost: " + why);
  if (stream_) stream_->interrupt_reader();
}

void RedisConnection::fail_all(const Error& e) {
  for (Pending& p : pending_) {
    ++client_.stats_.errors;
    if (p.waiter) p.waiter->deliver(e);
  }
  pending_.clear();
  out_.clear();
}

Task<void> RedisConnection::drop_stream() {
  if (!stream_) co_return;
  while (writing_) co_await Park{writer_done_};
  co_await stream_->close();
  stream_.reset();
  decoder_.reset();
}

Task<void> RedisConnection::run() {
  const RedisOptions& opts = client_.options();
  BackoffPolicy policy;  // named, not braced into the call (GCC 12 coroutines, STYLE §6)
  policy.initial = opts.reconnect_min;
  policy.cap = opts.reconnect_max;
  Backoff backoff(policy, index_);
  while (!stopping_) {
    state_ = State::connecting;
    attempt_started_ = Clock::now();
    Status st = co_await connect_once();
    if (!attempted_) {
      attempted_ = true;
      client_.connection_attempted();
    }
    if (!st) {
      ++client_.stats_.connect_failures;
      last_error_ = Error(stopping_ ? Errc::cancelled : st.error().code, st.error().message, st.error().detail);
      state_ = State::backoff;
      fail_all(last_error_);
      co_await drop_stream();
      if (stopping_) break;
      Duration delay = backoff.next();
      log_event(LogLevel::warn, "redis_connect_failed",
                {{"connection", index_}, {"error", last_error_.message},
                 {"retry_ms", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count())}});
      co_await op_.sleep_for(delay);
      continue;
    }
    backoff.reset();
    state_ = State::ready;
    ++client_.stats_.connects;
    wake_writer();
    co_await read_loop();
    state_ = State::broken;
    if (!stopping_) {
      ++client_.stats_.connection_losses;
      log_event(LogLevel::warn, "redis_connection_lost", {{"connection", index_}, {"error", last_error_.message}});
    }
    fail_all(stopping_ ? Error(Errc::cancelled, "Redis client is closing") : last_error_);
    co_await drop_stream();
    // The first reconnect is immediate; only failed attempts back off.
  }
  state_ = State::stopped;
}

Task<Status> RedisConnection::connect_once() {
  const RedisOptions& opts = client_.options();
  Deadline d = deadline_after(opts.connect_timeout);
  auto s = co_await TcpStream::connect(client_.reactor(), opts.address, d);
  if (!s) co_return Error(Errc::unavailable, "connect to Redis at " + opts.address.to_string() + ": " + s.error().message);
  stream_ = std::move(*s);
  // Replies must stay readable even when client uploads hold every buffer of the core's ring.
  stream_->use_private_buffer(32 * 1024);
  if (stopping_) co_return Error(Errc::cancelled, "Redis client is closing");
  std::string hello;
  int expected = 0;
  if (!opts.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!opts.user.empty()) auth.push_back(opts.user);
    auth.push_back(opts.password);
    append_command(hello, auth);
    ++expected;
  }
  if (opts.db != 0) {
    std::vector<std::string> select{"SELECT", std::to_string(opts.db)};
    append_command(hello, select);
    ++expected;
  }
  if (expected == 0) co_return Status{};
  Status sent = co_await stream_->send_all(std::span<const char>(hello), d);
  if (!sent) co_return Error(Errc::unavailable, "Redis handshake: " + sent.error().message);
  while (expected > 0) {
    auto reply = decoder_.next();
    if (!reply) co_return std::move(reply).error();
    if (*reply) {
      --expected;
      if ((*reply)->is_error()) {
        Error e = redis_error((*reply)->str);
        co_return Error(e.code, "Redis handshake (AUTH/SELECT) refused: " + e.message, e.detail);
      }
      continue;
    }
    auto buf = co_await stream_->recv(d);
    if (!buf) co_return Error(Errc::unavailable, "Redis handshake: " + buf.error().message);
    Status fed = decoder_.feed(buf->bytes());
    if (!fed) co_return fed;
  }
  co_return Status{};
}

Task<void> RedisConnection::read_loop() {
  while (state_ == State::ready) {
    auto buf = co_await stream_->recv();
    if (!buf) {
      lose(buf.error().code == Errc::closed ? "Redis closed the connection" : buf.error().message);
      break;
    }
    Status fed = decoder_.feed(buf->bytes());
    buf->release();
    if (!fed) {
      lose(fed.error().message);
      break;
    }
    if (!deliver_replies()) break;
  }
}

bool RedisConnection::deliver_replies() {
  for (;;) {
    auto reply = decoder_.next();
    if (!reply) {
      lose(reply.error().message);
      return false;
    }
    if (!*reply) return true;
    if (pending_.empty()) {
      lose("a reply arrived with no command waiting for it");
      return false;
    }
    Pending& p = pending_.front();
    RedisReply& r = **reply;
    if (r.is_error()) ++client_.stats_.errors;
    if (p.waiter) {
      if (r.is_error()) {
        p.waiter->deliver(redis_error(r.str));
      } else {
        p.waiter->deliver(std::move(r));
      }
    }
    pending_.pop_front();
  }
}

}  // namespace sluice
