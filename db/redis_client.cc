#include "db/redis_client.h"

#include <algorithm>
#include <cassert>

#include "db/redis_connection.h"

namespace sluice {

RedisClient::RedisClient(Reactor& r, RedisOptions opts) : r_(r), opts_(std::move(opts)) {
  if (opts_.connections == 0) opts_.connections = 1;
  for (unsigned i = 0; i < opts_.connections; ++i) conns_.push_back(std::make_unique<RedisConnection>(*this, i));
}

RedisClient::~RedisClient() {
  // close() must have been awaited; the connections' loops reference this client.
  assert(!started_ || tasks_.size() == 0);
}

Task<Status> RedisClient::start() {
  if (started_) co_return Status{};
  started_ = true;
  for (auto& c : conns_) {
    spawn(c->run(), &tasks_);
    spawn(c->write_loop(), &tasks_);
  }
  while (!std::all_of(conns_.begin(), conns_.end(), [](const auto& c) { return c->attempted(); })) {
    co_await Park{start_waiter_};
  }
  for (auto& c : conns_) {
    if (c->state() != RedisConnection::State::ready) co_return c->last_error();
  }
  co_return Status{};
}

void RedisClient::connection_attempted() {
  if (start_waiter_) r_.schedule(std::exchange(start_waiter_, {}));
}

Task<void> RedisClient::close() {
  if (!started_ || stopping_) co_return;
  stopping_ = true;
  for (auto& c : conns_) c->stop();
  co_await tasks_.wait();
}

Result<RedisConnection*> RedisClient::pick() {
  if (stopping_) return Error(Errc::cancelled, "Redis client is closing");
  RedisConnection* best = nullptr;
  for (auto& c : conns_) {
    if (!c->usable()) continue;
    if (!best) {
      best = c.get();
      continue;
    }
    bool c_ready = c->state() == RedisConnection::State::ready;
    bool b_ready = best->state() == RedisConnection::State::ready;
    if ((c_ready && !b_ready) || (c_ready == b_ready && c->load() < best->load())) best = c.get();
  }
  if (best) return best;
  // Every connection waits out a backoff. One whose last attempt is old enough tries again now
  // and the command queues behind that attempt (a server that just came back answers at once);
  // otherwise fail fast rather than wait out the backoff.
  for (auto& c : conns_) {
    if (c->retry_now(opts_.demand_retry_after)) return c.get();
  }
  return conns_.front()->last_error();
}

Task<Result<RedisReply>> RedisClient::command(std::vector<std::string> args, Deadline d) {
  if (args.empty()) co_return Error(Errc::invalid_argument, "empty Redis command");
  auto c = pick();
  if (!c) co_return std::move(c).error();
  RedisConnection::Waiter w(r_, d, "Redis command");
  (*c)->enqueue(args, &w);
  co_return co_await w;
}

Task<Result<RedisReply>> RedisClient::eval(RedisScript script, std::vector<std::string> keys,
                                           std::vector<std::string> args, Deadline d) {
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back("EVALSHA");
  cmd.push_back(script.sha1());
  cmd.push_back(std::to_string(keys.size()));
  for (auto& k : keys) cmd.push_back(std::move(k));
  for (auto& a : args) cmd.push_back(std::move(a));
  auto r = co_await command(cmd, d);
  if (r || r.error().detail != "NOSCRIPT") co_return r;
  ++stats_.script_loads;
  std::vector<std::string> load;  // (built step by step: g++ 12 rejects an init-list here)
  load.push_back("SCRIPT");
  load.push_back("LOAD");
  load.push_back(script.source());
  auto loaded = co_await command(std::move(load), d);
  if (!loaded) co_return std::move(loaded).error();
  if (loaded->str != script.sha1()) {
    co_return Error(Errc::internal, "Redis SCRIPT LOAD returned sha1 " + loaded->str + ", expected " + script.sha1());
  }
  co_return co_await command(std::move(cmd), d);
}

size_t RedisClient::ready_connections() const {
  return static_cast<size_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& c) {
    return c->state() == RedisConnection::State::ready;
  }));
}

}  // namespace sluice
