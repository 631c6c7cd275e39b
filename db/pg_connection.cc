#include "db/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "core/backoff.h"
#include "core/log.h"
#include "db/pg_error.h"
#include "db/pg_pool.h"

namespace sluice {

namespace {

void ignore_notice(void*, const char* message) {
  // NOTICEs ("relation already exists, skipping") are routine; keep them out of stderr.
  std::string_view m = message ? message : "";
  while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
  log_event(LogLevel::debug, "pg_notice", {{"message", m}});
}

bool ok_status(ExecStatusType st) {
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY || st == PGRES_SINGLE_TUPLE;
}

}  // namespace

PgConnection::PgConnection(PgPool& pool, unsigned index) : pool_(pool), index_(index), op_(pool.reactor()) {}

PgConnection::~PgConnection() { close_conn(); }

std::string PgConnection::conn_error() const {
  std::string m = conn_ ? PQerrorMessage(conn_) : "no connection";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  std::string out;
  for (char c : m) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

void PgConnection::close_conn() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  backend_pid_ = 0;
}

bool PgConnection::retry_now(Duration gap) {
  if (state_ != State::backoff || stopping_ || Clock::now() - attempt_started_ < gap) return false;
  state_ = State::connecting;  // run() goes on to connect_once() when its sleep ends cancelled
  op_.cancel();
  return true;
}

void PgConnection::stop() {
  stopping_ = true;
  op_.cancel();
}

Task<void> PgConnection::run() {
  const PgOptions& opts = pool_.options();
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
      pool_.connection_attempted();
    }
    if (!st) {
      ++generation_;
      ++pool_.stats_.connect_failures;
      last_error_ = Error(stopping_ ? Errc::cancelled : Errc::unavailable, st.error().message);
      last_error_.public_message = pg_public_message(Errc::unavailable);  // libpq names hosts and ports
      close_conn();
      state_ = State::backoff;
      fail_all(last_error_);
      if (stopping_) break;
      Duration delay = backoff.next();
      log_event(LogLevel::warn, "pg_connect_failed",
                {{"connection", index_}, {"error", last_error_.message},
                 {"retry_ms", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count())}});
      co_await op_.sleep_for(delay);
      continue;
    }
    backoff.reset();
    state_ = State::ready;
    ++pool_.stats_.connects;
    if (has_unsent()) pool_.request_flush();
    co_await serve();
    ++generation_;
    if (!stopping_) {
      ++pool_.stats_.connection_losses;
      log_event(LogLevel::warn, "pg_connection_lost", {{"connection", index_}, {"error", last_error_.message}});
    }
    state_ = State::broken;
    fail_all(stopping_ ? Error(Errc::cancelled, "PostgreSQL pool is closing") : last_error_);
    close_conn();
    // The first reconnect is immediate: a killed backend usually means a healthy server.
  }
  state_ = State::stopped;
}

Task<Status> PgConnection::connect_once() {
  close_conn();
  const PgOptions& opts = pool_.options();
  std::string options_value;
  const char* keywords[5];
  const char* values[5];
  int n = 0;
  keywords[n] = "dbname";
  values[n++] = opts.url.c_str();
  keywords[n] = "application_name";
  values[n++] = opts.application_name.c_str();
  if (opts.statement_timeout > Duration::zero()) {
    options_value = "-c statement_timeout=" +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(opts.statement_timeout).count());
    keywords[n] = "options";
    values[n++] = options_value.c_str();
  }
  keywords[n] = nullptr;
  values[n] = nullptr;
  conn_ = PQconnectStartParams(keywords, values, 1);
  if (!conn_) co_return Error(Errc::internal, "PQconnectStartParams: out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) co_return Error(Errc::unavailable, "connect to PostgreSQL: " + conn_error());
  PQsetNoticeProcessor(conn_, &ignore_notice, nullptr);
  Deadline d = deadline_after(opts.connect_timeout);
  PostgresPollingStatusType ps = PGRES_POLLING_WRITING;  // libpq's documented starting point
  while (ps != PGRES_POLLING_OK) {
    if (ps == PGRES_POLLING_FAILED) co_return Error(Errc::unavailable, "connect to PostgreSQL: " + conn_error());
    int fd = PQsocket(conn_);
    unsigned mask = ps == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    int res = co_await op_.poll(fd, mask, d);
    if (stopping_) co_return Error(Errc::cancelled, "PostgreSQL pool is closing");
    if (res == -ETIME) {
      co_return Error(Errc::unavailable, "connect to PostgreSQL: no answer within " +
                                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(opts.connect_timeout).count()) +
                                             " ms");
    }
    if (res < 0) co_return Error(Errc::unavailable, "connect to PostgreSQL: " + errno_error("poll", res).message);
    ps = PQconnectPoll(conn_);
  }
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    co_return Error(Errc::internal, "PostgreSQL: cannot enter non-blocking pipeline mode: " + conn_error());
  }
  backend_pid_ = PQbackendPID(conn_);
  prepared_.clear();
  want_write_ = false;
  script_in_flight_ = false;
  co_return Status{};
}

Task<void> PgConnection::serve() {
  while (state_ == State::ready && !stopping_) {
    int fd = PQsocket(conn_);
    unsigned mask = POLLIN | (want_write_ ? POLLOUT : 0);
    int res = co_await op_.poll(fd, mask);
    if (stopping_ || state_ != State::ready) break;
    if (res == -ECANCELED) continue;  // woken to re-arm with another mask
    if (res < 0) {
      lose(errno_error("poll", res).message);
      break;
    }
    on_socket_ready();
  }
}

void PgConnection::on_socket_ready() {
  if (!PQconsumeInput(conn_)) {
    lose(conn_error());
    return;
  }
  if (want_write_) {
    int f = PQflush(conn_);
    if (f < 0) {
      lose(conn_error());
      return;
    }
    want_write_ = f == 1;
  }
  drain();
  if (state_ == State::ready && PQstatus(conn_) == CONNECTION_BAD) lose(conn_error());
  if (state_ == State::ready && has_unsent()) pool_.request_flush();
}

void PgConnection::lose(std::string why) {
  if (state_ != State::ready) return;
  state_ = State::broken;
  ++generation_;
  if (why.empty()) why = "connection closed";
  last_error_ = Error(Errc::unavailable, "PostgreSQL connection lost: " + why);
  last_error_.public_message = pg_public_message(Errc::unavailable);
  op_.cancel();
}

void PgConnection::push(Group g, Waiter* w) {
  groups_.push_back(std::move(g));
  if (w) w->hook(&groups_.back().waiter);
  ++pool_.stats_.queries;
  if (state_ == State::ready) pool_.request_flush();
}

void PgConnection::enqueue_prepared(const PgStatement& st, PgParams params, Waiter* w) {
  Group g;
  g.kind = Group::Kind::prepared;
  g.stmt = st;
  g.params = std::move(params);
  push(std::move(g), w);
}

void PgConnection::enqueue_sql(std::string sql, PgParams params, Waiter* w) {
  Group g;
  g.kind = Group::Kind::sql;
  g.sql = std::move(sql);
  g.params = std::move(params);
  push(std::move(g), w);
}

void PgConnection::enqueue_script(std::string sql, Waiter* w) {
  Group g;
  g.kind = Group::Kind::script;
  g.sql = std::move(sql);
  push(std::move(g), w);
}

void PgConnection::flush() {
  if (state_ != State::ready) return;
  bool wrote = false;
  while (has_unsent() && !script_in_flight_) {
    Group& g = groups_[sent_];
    if (g.kind == Group::Kind::script) {
      // The simple protocol needs the pipeline empty and pipeline mode off.
      if (sent_ > 0) break;
      if (PQexitPipelineMode(conn_) != 1 || !PQsendQuery(conn_, g.sql.c_str())) {
        lose(conn_error());
        return;
      }
      script_in_flight_ = true;
      ++sent_;
      wrote = true;
      break;
    }
    int ok = 1;
    if (g.kind == Group::Kind::prepared) {
      if (!prepared_.contains(g.stmt.name)) {
        ok = PQsendPrepare(conn_, g.stmt.name, g.stmt.sql, g.stmt.param_count, nullptr);
        prepared_.insert(g.stmt.name);
        g.commands = 2;
        ++pool_.stats_.prepares;
      }
      ok = ok && PQsendQueryPrepared(conn_, g.stmt.name, g.params.size(), g.params.c_values(), nullptr, nullptr, 0);
    } else {
      ok = PQsendQueryParams(conn_, g.sql.c_str(), g.params.size(), nullptr, g.params.c_values(), nullptr, nullptr, 0);
    }
    // One Sync per statement: an error aborts only its own group, and statements from
    // different callers never share an implicit transaction. (libpq 15's PQpipelineSync also
    // pushes the bytes so far to the socket -- PQsendPipelineSync, which does not, is libpq
    // 17 -- so a batch costs a send() per statement but still a single round trip.)
    if (!ok || !PQpipelineSync(conn_)) {
      lose(conn_error());
      return;
    }
    g.params = PgParams();
    ++sent_;
    wrote = true;
  }
  if (!wrote) return;
  ++pool_.stats_.flushes;
  int f = PQflush(conn_);
  if (f < 0) {
    lose(conn_error());
    return;
  }
  if (f == 1 && !want_write_) {
    ++pool_.stats_.flush_waits;
    want_write_ = true;
    op_.cancel();  // re-arm the poll with POLLOUT
  }
}

void PgConnection::drain() {
  while (sent_ > 0 && state_ == State::ready) {
    if (PQisBusy(conn_)) return;
    PGresult* res = PQgetResult(conn_);
    Group& g = groups_.front();
    if (g.kind == Group::Kind::script) {
      if (res) {
        absorb(g, res);
        continue;
      }
      script_in_flight_ = false;
      finish_front();
      if (PQenterPipelineMode(conn_) != 1) lose("cannot re-enter pipeline mode: " + conn_error());
      continue;
    }
    if (!res) {
      if (g.commands == 0) return;  // the Sync's result has not arrived yet
      --g.commands;
      continue;
    }
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      finish_front();
      continue;
    }
    absorb(g, res);
  }
}

void PgConnection::absorb(Group& g, pg_result* res) {
  if (g.failed) {
    PQclear(res);
    return;
  }
  if (!ok_status(PQresultStatus(res))) {
    g.failed = true;
    // A failed Parse leaves the statement unprepared here; the next use prepares it again.
    if (g.kind == Group::Kind::prepared && g.commands == 2) prepared_.erase(g.stmt.name);
  }
  g.result = PgResult(res);
}

void PgConnection::finish_front() {
  Group& g = groups_.front();
  if (g.failed) ++pool_.stats_.errors;
  if (g.waiter) {
    if (g.failed) {
      g.waiter->deliver(pg_result_error(g.result.get()));
    } else {
      g.waiter->deliver(std::move(g.result));
    }
  }
  groups_.pop_front();
  --sent_;
}

void PgConnection::fail_all(const Error& e) {
  for (Group& g : groups_) {
    ++pool_.stats_.errors;
    if (g.waiter) g.waiter->deliver(e);
  }
  groups_.clear();
  sent_ = 0;
  script_in_flight_ = false;
  want_write_ = false;
}

}  // namespace sluice
