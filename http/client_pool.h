// ClientPool: one core's keep-alive HTTP connections to one endpoint. Bounds idle and total
// connections; when all are busy, acquirers queue (each with a deadline) and get the next
// connection handed back. Only a connection whose last exchange ended cleanly is reused.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/intrusive_list.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/timer_queue.h"
#include "http/client_connection.h"

namespace sluice {

struct ClientPoolOptions {
  size_t max_idle = 8;
  size_t max_total = 64;
  Duration connect_timeout = std::chrono::seconds(5);
  // Idle connections older than this are closed rather than reused: servers drop idle
  // keep-alive connections after a few seconds, and a request on one of those would fail.
  Duration idle_timeout = std::chrono::seconds(4);
  ClientConnectionOptions connection;
};

class ClientPool;

// A connection borrowed from a pool. Going out of scope gives it back: kept when its last
// exchange ended cleanly, closed otherwise.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(ClientPool* pool, std::unique_ptr<ClientConnection> conn, bool reused)
      : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
  PooledConnection(PooledConnection&& o) noexcept;
  PooledConnection& operator=(PooledConnection&& o) noexcept;
  ~PooledConnection() { reset(); }

  ClientConnection& operator*() { return *conn_; }
  ClientConnection* operator->() { return conn_.get(); }
  // True when the connection already carried an earlier exchange (it may have gone stale).
  bool reused() const { return reused_; }
  void reset();

 private:
  ClientPool* pool_ = nullptr;
  std::unique_ptr<ClientConnection> conn_;
  bool reused_ = false;
};

struct ClientPoolStats {
  uint64_t connects = 0;
  uint64_t reuses = 0;
  uint64_t discarded = 0;  // closed after an error, staleness or over max_idle
  uint64_t wait_timeouts = 0;
};

class ClientPool {
 public:
  ClientPool(Reactor& r, SocketAddress addr, ClientPoolOptions options = {});
  // shutdown() must have completed, and every PooledConnection been returned.
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // An idle connection, a new one, or (at max_total) the next one given back before `d`.
  Task<Result<PooledConnection>> acquire(Deadline d);
  // Closes idle connections, fails waiters, and waits for closes in flight. Connections still
  // lent out are closed when given back.
  Task<void> shutdown();

  size_t idle() const { return idle_.size(); }
  size_t total() const { return total_; }
  const ClientPoolStats& stats() const { return stats_; }
  const SocketAddress& address() const { return addr_; }
  const ClientPoolOptions& options() const { return options_; }

 private:
  friend class PooledConnection;
  struct Idle {
    std::unique_ptr<ClientConnection> conn;
    Deadline since;
  };
  // An acquirer queued for a connection: woken with one, with a free slot, or by its deadline.
  struct Waiter final : IntrusiveListNode, TimerEntry {
    explicit Waiter(Reactor& r) : r(r) {}
    ~Waiter() { r.cancel_timer(*this); }
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { handle = h; }
    void await_resume() const noexcept {}
    void fire() override;
    void wake();

    Reactor& r;
    std::coroutine_handle<> handle;
    std::unique_ptr<ClientConnection> conn;  // handed over by give_back
    bool timed_out = false;
    bool cancelled = false;
  };

  void give_back(std::unique_ptr<ClientConnection> conn);
  void retire(std::unique_ptr<ClientConnection> conn);
  void wake_one_for_slot();
  static Task<void> close_connection(std::unique_ptr<ClientConnection> conn);

  Reactor& r_;
  SocketAddress addr_;
  ClientPoolOptions options_;
  std::deque<Idle> idle_;  // most recently used at the back
  size_t total_ = 0;       // idle + lent out + connecting
  IntrusiveList<Waiter> waiters_;
  TaskGroup closing_;
  bool shutting_down_ = false;
  ClientPoolStats stats_;
};

}  // namespace sluice
