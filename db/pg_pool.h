// PgPool: a core's PostgreSQL connections (PgOptions::connections, default 2), owned and used
// by that core's reactor only. `co_await pool.query(kStmt, args...)` queues the statement on
// the least loaded connection; everything queued in one loop turn is written in one pipeline
// flush, and replies come back in order. Prepared statements are registered lazily per
// connection. start() must be awaited before use and close() before destruction.
#pragma once

#include <coroutine>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "db/pg_options.h"
#include "db/pg_params.h"
#include "db/pg_result.h"
#include "db/pg_session.h"
#include "db/pg_statement.h"
#include "db/pg_stats.h"

namespace sluice {

class PgConnection;

class PgPool {
 public:
  PgPool(Reactor& r, PgOptions opts);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Starts every connection and waits for each one's first attempt; fails (with the first
  // error) unless all connected. Connections that failed keep retrying in the background.
  Task<Status> start();
  // Fails whatever is queued with Errc::cancelled and closes the connections.
  Task<void> close();

  template <class... A>
  Task<Result<PgResult>> query(const PgStatement& st, A&&... args) {
    return query_params(st, PgParams(std::forward<A>(args)...), deadline_after(opts_.query_timeout));
  }
  Task<Result<PgResult>> query_params(PgStatement st, PgParams params, Deadline d);
  // An unnamed one-off statement ($n parameters allowed; give them casts, e.g. $1::int).
  template <class... A>
  Task<Result<PgResult>> execute(std::string sql, A&&... args) {
    return execute_params(std::move(sql), PgParams(std::forward<A>(args)...), deadline_after(opts_.query_timeout));
  }
  Task<Result<PgResult>> execute_params(std::string sql, PgParams params, Deadline d);

  // A connection for this caller alone until the session is released.
  Task<Result<PgSession>> pin(Deadline d);
  Task<Result<PgSession>> pin() { return pin(deadline_after(opts_.query_timeout)); }
  // pin() + BEGIN.
  Task<Result<PgTransaction>> begin(Deadline d);
  Task<Result<PgTransaction>> begin() { return begin(deadline_after(opts_.query_timeout)); }

  const PgStats& stats() const { return stats_; }
  const PgOptions& options() const { return opts_; }
  Reactor& reactor() { return r_; }
  // Server process ids of the connections (0 when not connected): for tests and admin views.
  std::vector<int> backend_pids() const;
  // How many connections are ready now.
  size_t ready_connections() const;

 private:
  friend class PgConnection;
  friend class PgSession;
  class ConnWait;
  struct Park;

  // A connection for a query (or to pin): the least loaded usable unpinned one; nullptr with
  // `wait` set when all are pinned; an error when none can take work.
  Result<PgConnection*> pick(bool& wait);
  Task<Result<PgConnection*>> acquire(Deadline d);
  void request_flush();
  void connection_attempted();
  void unpin(PgConnection* c);
  Task<void> flush_loop();
  Status check_params(const PgStatement& st, const PgParams& p) const;

  Reactor& r_;
  PgOptions opts_;
  std::vector<std::unique_ptr<PgConnection>> conns_;
  PgStats stats_;
  TaskGroup tasks_;
  std::deque<ConnWait*> conn_waiters_;
  std::coroutine_handle<> flusher_;      // parked flusher, if any
  std::coroutine_handle<> start_waiter_;
  bool flush_requested_ = false;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace sluice
