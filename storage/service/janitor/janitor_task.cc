#include "storage/service/janitor/janitor_task.h"

#include "core/log.h"
#include "core/timer_queue.h"

namespace sluice {

namespace {
PgOptions janitor_pool_options(std::string url) {
  PgOptions o;
  o.url = std::move(url);
  o.connections = 2;
  return o;
}
}  // namespace

// A sleep that stop() can cut short.
class JanitorTask::Nap final : public TimerEntry {
 public:
  explicit Nap(Reactor& r) : r_(r) {}
  ~Nap() { r_.cancel_timer(*this); }
  auto until(Deadline d) {
    struct Awaiter {
      Nap& nap;
      Deadline d;
      bool await_ready() const noexcept { return nap.woken_ || d <= Clock::now(); }
      void await_suspend(std::coroutine_handle<> h) {
        nap.h_ = h;
        nap.r_.add_timer(nap, d);
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this, d};
  }
  void wake() {
    woken_ = true;
    if (!h_) return;
    r_.cancel_timer(*this);
    r_.schedule(std::exchange(h_, {}));
  }
  void fire() override {
    if (h_) std::exchange(h_, {}).resume();
  }

 private:
  Reactor& r_;
  std::coroutine_handle<> h_;
  bool woken_ = false;
};

JanitorTask::JanitorTask(Reactor& r, std::string pg_url, ObjectStore& store, RedisClient* redis, Duration interval,
                         JanitorOptions options)
    : pool_(r, janitor_pool_options(std::move(pg_url))),
      janitor_(pool_, store, redis, std::move(options)),
      interval_(interval),
      nap_(std::make_unique<Nap>(r)) {}

JanitorTask::~JanitorTask() = default;

Task<Status> JanitorTask::connect() {
  if (started_) co_return Status();
  started_ = true;
  Status s = co_await pool_.start();
  if (!s.ok()) log_event(LogLevel::warn, "janitor_db_unavailable", {{"error", s.error().message}});
  co_return s;
}

Task<void> JanitorTask::start() {
  // Connecting happens inside the task stop() waits for: a stop that arrives while the pool is
  // still starting (a SIGTERM right after start-up) must not close the pool under its start().
  spawn(connect_and_loop(), &tasks_);
  co_return;
}

Task<void> JanitorTask::connect_and_loop() {
  (void)co_await connect();  // a failed connection retries; each run reports its own errors
  co_await loop();
}

Task<std::optional<JanitorReport>> JanitorTask::run_if_leader() {
  auto session = co_await pool_.pin();
  if (!session.ok()) {
    log_event(LogLevel::warn, "janitor_lock_failed", {{"error", session.error().message}});
    co_return std::nullopt;
  }
  auto locked = co_await session->execute("SELECT pg_try_advisory_lock($1::bigint)", kJanitorLockKey);
  if (!locked.ok() || !*locked->boolean(0, 0)) {
    if (!locked.ok()) log_event(LogLevel::warn, "janitor_lock_failed", {{"error", locked.error().message}});
    co_return std::nullopt;
  }
  JanitorReport report = co_await janitor_.run_once();
  totals_ += report;
  ++runs_;
  // Unlocked explicitly: the session goes back to the pool. (A lost connection unlocks too.)
  auto unlocked = co_await session->execute("SELECT pg_advisory_unlock($1::bigint)", kJanitorLockKey);
  if (!unlocked.ok()) log_event(LogLevel::warn, "janitor_unlock_failed", {{"error", unlocked.error().message}});
  co_return report;
}

Task<void> JanitorTask::loop() {
  while (!stopping_) {
    co_await nap_->until(deadline_after(interval_));
    if (stopping_) break;
    (void)co_await run_if_leader();
  }
}

Task<void> JanitorTask::stop() {
  stopping_ = true;
  nap_->wake();
  co_await tasks_.wait();
  if (started_) co_await pool_.close();
}

}  // namespace sluice
