#include "db/pg_session.h"

#include "db/pg_connection.h"
#include "db/pg_pool.h"

namespace sluice {

PgSession& PgSession::operator=(PgSession&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = std::exchange(o.pool_, nullptr);
    conn_ = std::exchange(o.conn_, nullptr);
    generation_ = o.generation_;
  }
  return *this;
}

void PgSession::release() {
  if (!conn_) return;
  pool_->unpin(std::exchange(conn_, nullptr));
  pool_ = nullptr;
}

int PgSession::backend_pid() const { return conn_ ? conn_->backend_pid() : 0; }

Deadline PgSession::default_deadline() const {
  return pool_ ? deadline_after(pool_->options().query_timeout) : Clock::now();
}

Status PgSession::check() const {
  if (!conn_) return Error(Errc::invalid_argument, "PostgreSQL session already released");
  if (conn_->generation() != generation_ || !conn_->usable()) {
    return Error(Errc::unavailable, "PostgreSQL connection of this session was lost");
  }
  return {};
}

Task<Result<PgResult>> PgSession::query_params(PgStatement st, PgParams params, Deadline d) {
  if (Status s = check(); !s) co_return std::move(s).error();
  if (Status s = pool_->check_params(st, params); !s) co_return std::move(s).error();
  PgConnection::Waiter w(pool_->reactor(), d, "PostgreSQL query");
  conn_->enqueue_prepared(st, std::move(params), &w);
  co_return co_await w;
}

Task<Result<PgResult>> PgSession::execute_params(std::string sql, PgParams params, Deadline d) {
  if (Status s = check(); !s) co_return std::move(s).error();
  PgConnection::Waiter w(pool_->reactor(), d, "PostgreSQL statement");
  conn_->enqueue_sql(std::move(sql), std::move(params), &w);
  co_return co_await w;
}

Task<Status> PgSession::run_script(std::string sql, Deadline d) {
  if (Status s = check(); !s) co_return s;
  PgConnection::Waiter w(pool_->reactor(), d, "PostgreSQL script");
  conn_->enqueue_script(std::move(sql), &w);
  auto r = co_await w;
  if (!r) co_return std::move(r).error();
  co_return Status{};
}

Task<Result<PgResult>> PgSession::execute_and_release(std::string sql, Deadline d) {
  if (Status s = check(); !s) {
    release();
    co_return std::move(s).error();
  }
  PgConnection::Waiter w(pool_->reactor(), d, "PostgreSQL statement");
  conn_->enqueue_sql(std::move(sql), PgParams(), &w);
  // Later users of the connection queue behind this statement, so it can be shared now.
  release();
  co_return co_await w;
}

PgTransaction& PgTransaction::operator=(PgTransaction&& o) noexcept {
  if (this != &o) {
    abandon();
    session_ = std::move(o.session_);
    done_ = std::exchange(o.done_, true);
  }
  return *this;
}

Task<Status> PgTransaction::commit() {
  if (done_) co_return Error(Errc::invalid_argument, "transaction already finished");
  done_ = true;
  Deadline d = session_.default_deadline();
  auto r = co_await session_.execute_and_release("COMMIT", d);
  if (!r) co_return std::move(r).error();
  if (r->command_tag() == "ROLLBACK") {
    co_return Error(Errc::conflict, "PostgreSQL rolled the transaction back: a statement in it failed");
  }
  co_return Status{};
}

Task<Status> PgTransaction::rollback() {
  if (done_) co_return Error(Errc::invalid_argument, "transaction already finished");
  done_ = true;
  auto r = co_await session_.execute_and_release("ROLLBACK", session_.default_deadline());
  if (!r) co_return std::move(r).error();
  co_return Status{};
}

void PgTransaction::abandon() {
  if (!done_ && session_.valid() && session_.check()) {
    // Nobody awaits this ROLLBACK; it is queued ahead of the connection's next user.
    session_.conn_->enqueue_sql("ROLLBACK", PgParams(), nullptr);
  }
  done_ = true;
  session_.release();
}

}  // namespace sluice
