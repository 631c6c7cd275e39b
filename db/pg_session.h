// PgSession: one pool connection pinned to one user (for session state such as an advisory
// lock); PgTransaction: a pinned connection inside BEGIN ... COMMIT. Other queries of the pool
// avoid a pinned connection until it is released. If the connection is lost meanwhile, every
// later call fails with Errc::unavailable instead of running outside the session. A
// PgTransaction destroyed without commit() or rollback() rolls back.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "db/pg_params.h"
#include "db/pg_result.h"
#include "db/pg_statement.h"

namespace sluice {

class PgPool;
class PgConnection;

class PgSession {
 public:
  PgSession() = default;
  PgSession(PgSession&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), conn_(std::exchange(o.conn_, nullptr)), generation_(o.generation_) {}
  PgSession& operator=(PgSession&& o) noexcept;
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;
  ~PgSession() { release(); }

  template <class... A>
  Task<Result<PgResult>> query(const PgStatement& st, A&&... args) {
    return query_params(st, PgParams(std::forward<A>(args)...), default_deadline());
  }
  Task<Result<PgResult>> query_params(PgStatement st, PgParams params, Deadline d);
  template <class... A>
  Task<Result<PgResult>> execute(std::string sql, A&&... args) {
    return execute_params(std::move(sql), PgParams(std::forward<A>(args)...), default_deadline());
  }
  Task<Result<PgResult>> execute_params(std::string sql, PgParams params, Deadline d);
  // Several ';'-separated statements in the simple protocol (no parameters): migrations.
  Task<Status> run_script(std::string sql, Deadline d);

  // Unpins the connection (queries already queued on it still complete).
  void release();
  bool valid() const { return conn_ != nullptr; }
  int backend_pid() const;

 private:
  friend class PgPool;
  friend class PgTransaction;
  PgSession(PgPool* pool, PgConnection* conn, uint64_t generation)
      : pool_(pool), conn_(conn), generation_(generation) {}
  Deadline default_deadline() const;
  Status check() const;
  // Queues `sql`, unpins, then awaits the reply: the end of a transaction.
  Task<Result<PgResult>> execute_and_release(std::string sql, Deadline d);

  PgPool* pool_ = nullptr;
  PgConnection* conn_ = nullptr;
  uint64_t generation_ = 0;
};

class PgTransaction {
 public:
  PgTransaction() = default;
  PgTransaction(PgTransaction&& o) noexcept : session_(std::move(o.session_)), done_(std::exchange(o.done_, true)) {}
  PgTransaction& operator=(PgTransaction&& o) noexcept;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  ~PgTransaction() { abandon(); }

  template <class... A>
  Task<Result<PgResult>> query(const PgStatement& st, A&&... args) {
    return session_.query_params(st, PgParams(std::forward<A>(args)...), session_.default_deadline());
  }
  Task<Result<PgResult>> query_params(PgStatement st, PgParams params, Deadline d) {
    return session_.query_params(st, std::move(params), d);
  }
  template <class... A>
  Task<Result<PgResult>> execute(std::string sql, A&&... args) {
    return session_.execute_params(std::move(sql), PgParams(std::forward<A>(args)...), session_.default_deadline());
  }
  Task<Result<PgResult>> execute_params(std::string sql, PgParams params, Deadline d) {
    return session_.execute_params(std::move(sql), std::move(params), d);
  }
  Task<Status> run_script(std::string sql, Deadline d) { return session_.run_script(std::move(sql), d); }

  // COMMIT. Fails with Errc::conflict when the server rolled back instead (an earlier statement
  // failed), with the statement's own error otherwise.
  Task<Status> commit();
  Task<Status> rollback();
  bool active() const { return session_.valid() && !done_; }

 private:
  friend class PgPool;
  explicit PgTransaction(PgSession s) : session_(std::move(s)), done_(false) {}
  void abandon();

  PgSession session_;
  bool done_ = true;
};

}  // namespace sluice
