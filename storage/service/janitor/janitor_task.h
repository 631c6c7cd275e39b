// JanitorTask: runs the Janitor every interval on one core, and only where it holds the
// cluster-wide advisory lock, so one core of one instance repairs at a time. It has its own two
// PostgreSQL connections (one pinned for the lock, one for the repairs), apart from the pool
// that serves requests.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/reactor.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/janitor/janitor.h"

namespace sluice {

// pg_try_advisory_lock key of the janitor ("janitor" in ASCII).
inline constexpr int64_t kJanitorLockKey = 0x6a616e69746f72;

class JanitorTask {
 public:
  JanitorTask(Reactor& r, std::string pg_url, ObjectStore& store, RedisClient* redis, Duration interval,
              JanitorOptions options);
  ~JanitorTask();
  JanitorTask(const JanitorTask&) = delete;
  JanitorTask& operator=(const JanitorTask&) = delete;

  // Connects (connections that fail keep retrying); needed before run_if_leader().
  Task<Status> connect();
  // Starts connect() and then the loop (first run one interval from now) in the background.
  Task<void> start();
  // Wakes the loop, waits for a run in progress to end, closes the connections.
  Task<void> stop();

  // One run now if the lock is free; nullopt when another janitor holds it (or PostgreSQL is
  // unreachable: the error is logged).
  Task<std::optional<JanitorReport>> run_if_leader();

  const JanitorReport& totals() const { return totals_; }
  uint64_t runs() const { return runs_; }

 private:
  class Nap;
  Task<void> loop();
  Task<void> connect_and_loop();

  PgPool pool_;
  Janitor janitor_;
  Duration interval_;
  TaskGroup tasks_;
  std::unique_ptr<Nap> nap_;
  JanitorReport totals_;
  uint64_t runs_ = 0;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace sluice
