// PgConnection: one libpq connection in pipeline mode, driven by the reactor (a PgPool's part,
// not used alone). Statements queue as groups (an optional Parse, the statement, a Sync: one
// Sync per statement so an error stays with its own statement); the pool's flusher writes all
// queued groups once per loop turn; replies are matched to groups in FIFO order. A lost
// connection fails every queued group at once and reconnects with backoff.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>

#include "core/cancellable_op.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "db/pg_params.h"
#include "db/pg_result.h"
#include "db/pg_statement.h"
#include "db/reply_waiter.h"

struct pg_conn;
struct pg_result;

namespace sluice {

class PgPool;

class PgConnection {
 public:
  enum class State : uint8_t { connecting, ready, broken, backoff, stopped };
  using Waiter = ReplyWaiter<PgResult>;

  PgConnection(PgPool& pool, unsigned index);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // The connection's life: connect, serve, reconnect with backoff, until stop().
  Task<void> run();
  void stop();

  void enqueue_prepared(const PgStatement& st, PgParams params, Waiter* w);
  // An unnamed statement (extended protocol, one statement, parameters allowed).
  void enqueue_sql(std::string sql, PgParams params, Waiter* w);
  // Several statements in the simple protocol (migrations): sent once the pipeline is empty.
  void enqueue_script(std::string sql, Waiter* w);
  // Writes every queued group and flushes once; called by the pool's flusher.
  void flush();

  State state() const { return state_; }
  bool usable() const { return state_ == State::ready || state_ == State::connecting; }
  bool has_unsent() const { return sent_ < groups_.size(); }
  size_t load() const { return groups_.size(); }
  // Changes whenever a server session ends, so a pinned session notices it lost its backend.
  uint64_t generation() const { return generation_; }
  int backend_pid() const { return backend_pid_; }
  bool pinned() const { return pinned_; }
  void set_pinned(bool p) { pinned_ = p; }
  bool attempted() const { return attempted_; }
  // Cuts a backoff short (a query is waiting) if the last attempt started at least `gap` ago;
  // the connection is then connecting, and queries queued on it wait for the attempt's outcome.
  bool retry_now(Duration gap);
  const Error& last_error() const { return last_error_; }

 private:
  struct Group {
    enum class Kind : uint8_t { prepared, sql, script };
    Kind kind = Kind::sql;
    PgStatement stmt{};
    std::string sql;
    PgParams params;
    Waiter* waiter = nullptr;
    PgResult result;       // the first error, else the statement's result
    bool failed = false;
    uint8_t commands = 1;  // commands whose terminating NULL result is still to come
  };

  Task<Status> connect_once();
  Task<void> serve();
  void on_socket_ready();
  void drain();
  void absorb(Group& g, pg_result* res);
  void finish_front();
  void fail_all(const Error& e);
  void lose(std::string why);
  void close_conn();
  void push(Group g, Waiter* w);
  std::string conn_error() const;

  PgPool& pool_;
  unsigned index_;
  pg_conn* conn_ = nullptr;
  CancellableOp op_;
  State state_ = State::connecting;
  std::deque<Group> groups_;
  size_t sent_ = 0;  // groups_[0, sent_) are on the wire
  std::unordered_set<std::string> prepared_;
  bool want_write_ = false;
  bool script_in_flight_ = false;
  bool stopping_ = false;
  bool pinned_ = false;
  bool attempted_ = false;
  Clock::time_point attempt_started_{};
  uint64_t generation_ = 0;
  int backend_pid_ = 0;
  Error last_error_{Errc::unavailable, "PostgreSQL connection not established yet"};
};

}  // namespace sluice
