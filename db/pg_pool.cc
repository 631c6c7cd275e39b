#include "db/pg_pool.h"

#include <algorithm>

#include "db/pg_connection.h"

namespace sluice {

// Waits until a transaction or session gives its connection back (or the deadline passes).
class PgPool::ConnWait final : private TimerEntry {
 public:
  ConnWait(PgPool& p, Deadline d) : p_(p), d_(d) {}
  ~ConnWait() {
    p_.r_.cancel_timer(*this);
    remove();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    p_.conn_waiters_.push_back(this);
    if (d_ != kNoDeadline) p_.r_.add_timer(*this, d_);
  }
  Status await_resume() { return std::move(status_); }
  void wake(Status s) {
    p_.r_.cancel_timer(*this);
    status_ = std::move(s);
    if (h_) p_.r_.schedule(std::exchange(h_, {}));
  }

 private:
  void remove() {
    auto& q = p_.conn_waiters_;
    auto it = std::find(q.begin(), q.end(), this);
    if (it != q.end()) q.erase(it);
  }
  void fire() override {
    remove();
    status_ = Error(Errc::timeout, "PostgreSQL: every connection is pinned by a transaction; none freed before the deadline");
    if (h_) std::exchange(h_, {}).resume();
  }
  PgPool& p_;
  Deadline d_;
  Status status_;
  std::coroutine_handle<> h_;
};

// Suspends the flusher (or start()) until someone resumes the stored handle.
struct PgPool::Park {
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
  void await_resume() const noexcept {}
};

PgPool::PgPool(Reactor& r, PgOptions opts) : r_(r), opts_(std::move(opts)) {
  if (opts_.connections == 0) opts_.connections = 1;
  for (unsigned i = 0; i < opts_.connections; ++i) conns_.push_back(std::make_unique<PgConnection>(*this, i));
}

PgPool::~PgPool() {
  // close() must have been awaited; the connections' loops reference this pool.
  assert(!started_ || tasks_.size() == 0);
}

Task<Status> PgPool::start() {
  if (started_) co_return Status{};
  started_ = true;
  for (auto& c : conns_) spawn(c->run(), &tasks_);
  spawn(flush_loop(), &tasks_);
  while (!std::all_of(conns_.begin(), conns_.end(), [](const auto& c) { return c->attempted(); })) {
    co_await Park{start_waiter_};
  }
  for (auto& c : conns_) {
    if (c->state() != PgConnection::State::ready) co_return c->last_error();
  }
  co_return Status{};
}

void PgPool::connection_attempted() {
  if (start_waiter_) r_.schedule(std::exchange(start_waiter_, {}));
}

Task<void> PgPool::close() {
  if (!started_ || stopping_) co_return;
  stopping_ = true;
  for (auto& c : conns_) c->stop();
  while (!conn_waiters_.empty()) {
    ConnWait* w = conn_waiters_.front();
    conn_waiters_.pop_front();
    w->wake(Error(Errc::cancelled, "PostgreSQL pool is closing"));
  }
  if (flusher_) r_.schedule(std::exchange(flusher_, {}));
  co_await tasks_.wait();
}

void PgPool::request_flush() {
  flush_requested_ = true;
  if (flusher_) r_.schedule(std::exchange(flusher_, {}));
}

Task<void> PgPool::flush_loop() {
  while (!stopping_) {
    if (!flush_requested_) {
      co_await Park{flusher_};
      continue;
    }
    flush_requested_ = false;
    for (auto& c : conns_) {
      if (c->has_unsent()) c->flush();
    }
  }
}

Result<PgConnection*> PgPool::pick(bool& wait) {
  wait = false;
  if (stopping_) return Error(Errc::cancelled, "PostgreSQL pool is closing");
  PgConnection* best = nullptr;
  bool any_unpinned = false;
  for (auto& c : conns_) {
    if (c->pinned()) continue;
    any_unpinned = true;
    if (!c->usable()) continue;
    if (!best) {
      best = c.get();
      continue;
    }
    bool c_ready = c->state() == PgConnection::State::ready;
    bool b_ready = best->state() == PgConnection::State::ready;
    if ((c_ready && !b_ready) || (c_ready == b_ready && c->load() < best->load())) best = c.get();
  }
  if (best) return best;
  if (!any_unpinned) {
    wait = true;
    return Error(Errc::unavailable, "all connections pinned");
  }
  // Every unpinned connection is waiting to retry. One whose last attempt is old enough tries
  // again now, and the query queues behind that attempt; otherwise fail fast rather than wait
  // out a backoff.
  for (auto& c : conns_) {
    if (!c->pinned() && c->retry_now(opts_.demand_retry_after)) return c.get();
  }
  for (auto& c : conns_) {
    if (!c->pinned()) return c->last_error();
  }
  return Error(Errc::unavailable, "PostgreSQL unavailable");
}

Task<Result<PgConnection*>> PgPool::acquire(Deadline d) {
  for (;;) {
    bool wait = false;
    auto c = pick(wait);
    if (c || !wait) co_return c;
    Status s = co_await ConnWait(*this, d);
    if (!s) co_return std::move(s).error();
  }
}

Status PgPool::check_params(const PgStatement& st, const PgParams& p) const {
  if (st.param_count != p.size()) {
    return Error(Errc::invalid_argument, std::string("statement ") + st.name + " takes " +
                                             std::to_string(st.param_count) + " parameters, got " +
                                             std::to_string(p.size()));
  }
  return {};
}

Task<Result<PgResult>> PgPool::query_params(PgStatement st, PgParams params, Deadline d) {
  if (Status s = check_params(st, params); !s) co_return std::move(s).error();
  auto c = co_await acquire(d);
  if (!c) co_return std::move(c).error();
  PgConnection::Waiter w(r_, d, "PostgreSQL query");
  (*c)->enqueue_prepared(st, std::move(params), &w);
  co_return co_await w;
}

Task<Result<PgResult>> PgPool::execute_params(std::string sql, PgParams params, Deadline d) {
  auto c = co_await acquire(d);
  if (!c) co_return std::move(c).error();
  PgConnection::Waiter w(r_, d, "PostgreSQL statement");
  (*c)->enqueue_sql(std::move(sql), std::move(params), &w);
  co_return co_await w;
}

Task<Result<PgSession>> PgPool::pin(Deadline d) {
  auto c = co_await acquire(d);
  if (!c) co_return std::move(c).error();
  (*c)->set_pinned(true);
  co_return PgSession(this, *c, (*c)->generation());
}

Task<Result<PgTransaction>> PgPool::begin(Deadline d) {
  auto s = co_await pin(d);
  if (!s) co_return std::move(s).error();
  auto r = co_await s->execute_params("BEGIN", PgParams(), d);
  if (!r) co_return std::move(r).error();
  co_return PgTransaction(std::move(*s));
}

void PgPool::unpin(PgConnection* c) {
  c->set_pinned(false);
  if (!conn_waiters_.empty()) {
    ConnWait* w = conn_waiters_.front();
    conn_waiters_.pop_front();
    w->wake(Status{});
  }
}

std::vector<int> PgPool::backend_pids() const {
  std::vector<int> out;
  for (const auto& c : conns_) out.push_back(c->backend_pid());
  return out;
}

size_t PgPool::ready_connections() const {
  return static_cast<size_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& c) {
    return c->state() == PgConnection::State::ready;
  }));
}

}  // namespace sluice
