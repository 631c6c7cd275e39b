#include "http/client_pool.h"

#include <algorithm>
#include <cassert>

namespace sluice {

PooledConnection::PooledConnection(PooledConnection&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)), reused_(o.reused_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = std::exchange(o.pool_, nullptr);
    conn_ = std::move(o.conn_);
    reused_ = o.reused_;
  }
  return *this;
}

void PooledConnection::reset() {
  if (pool_ && conn_) pool_->give_back(std::move(conn_));
  pool_ = nullptr;
  conn_.reset();
}

void ClientPool::Waiter::fire() {
  timed_out = true;
  unlink();
  wake();
}

void ClientPool::Waiter::wake() {
  r.cancel_timer(*this);
  // Never inline: the waker may be a destructor in the middle of the caller's code.
  if (handle) r.schedule(std::exchange(handle, {}));
}

ClientPool::ClientPool(Reactor& r, SocketAddress addr, ClientPoolOptions options)
    : r_(r), addr_(addr), options_(options) {
  options_.max_total = std::max<size_t>(options_.max_total, 1);
}

ClientPool::~ClientPool() {
  // Open connections must be closed by awaiting shutdown() first (a stream cannot close
  // itself from a destructor).
  assert(idle_.empty() && closing_.size() == 0);
}

Task<Result<PooledConnection>> ClientPool::acquire(Deadline d) {
  for (;;) {
    if (shutting_down_) co_return Error(Errc::cancelled, "HTTP connection pool is shutting down");
    while (!idle_.empty()) {
      Idle entry = std::move(idle_.back());
      idle_.pop_back();
      if (Clock::now() - entry.since > options_.idle_timeout || !entry.conn->looks_alive()) {
        retire(std::move(entry.conn));
        continue;
      }
      ++stats_.reuses;
      co_return PooledConnection(this, std::move(entry.conn), true);
    }
    if (total_ < options_.max_total) {
      ++total_;  // holds the slot while connecting
      auto c = co_await ClientConnection::connect(r_, addr_, std::min(d, deadline_after(options_.connect_timeout)),
                                                  options_.connection);
      if (!c) {
        --total_;
        wake_one_for_slot();
        const Error& e = c.error();
        co_return Error(e.code == Errc::timeout ? Errc::timeout : Errc::unavailable,
                        "connecting to " + addr_.to_string() + ": " + e.message, e.detail);
      }
      ++stats_.connects;
      if (shutting_down_) {
        retire(std::move(*c));
        continue;
      }
      co_return PooledConnection(this, std::move(*c), false);
    }
    Waiter w(r_);
    waiters_.push_back(w);
    if (d != kNoDeadline) r_.add_timer(w, d);
    co_await w;
    if (w.conn) {
      ++stats_.reuses;
      co_return PooledConnection(this, std::move(w.conn), true);
    }
    if (w.timed_out) {
      ++stats_.wait_timeouts;
      co_return Error(Errc::timeout, "no connection to " + addr_.to_string() + " became free before the deadline (" +
                                         std::to_string(options_.max_total) + " in use)");
    }
    // A slot was freed (or shutdown began): try again.
  }
}

void ClientPool::give_back(std::unique_ptr<ClientConnection> conn) {
  if (!conn->reusable() || shutting_down_) {
    retire(std::move(conn));
    return;
  }
  if (Waiter* w = waiters_.pop_front()) {
    w->conn = std::move(conn);
    w->wake();
    return;
  }
  if (idle_.size() >= options_.max_idle) {
    retire(std::move(conn));
    return;
  }
  idle_.push_back({std::move(conn), Clock::now()});
}

void ClientPool::retire(std::unique_ptr<ClientConnection> conn) {
  ++stats_.discarded;
  --total_;
  spawn(close_connection(std::move(conn)), &closing_);
  wake_one_for_slot();
}

void ClientPool::wake_one_for_slot() {
  if (Waiter* w = waiters_.pop_front()) w->wake();
}

Task<void> ClientPool::close_connection(std::unique_ptr<ClientConnection> conn) { co_await conn->close(); }

Task<void> ClientPool::shutdown() {
  shutting_down_ = true;
  while (!idle_.empty()) {
    auto conn = std::move(idle_.back().conn);
    idle_.pop_back();
    retire(std::move(conn));
  }
  while (Waiter* w = waiters_.pop_front()) {
    w->cancelled = true;
    w->wake();
  }
  co_await closing_.wait();
}

}  // namespace sluice
