// Reactor: one per core, one thread, one io_uring. It submits SQEs, dispatches completions to
// their Completion objects, runs timers, resumes scheduled coroutines, and receives messages
// from other cores (IORING_OP_MSG_RING). Everything it owns is touched only by its thread.
#pragma once

#include <liburing.h>

#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/buffer_ring.h"
#include "core/clock.h"
#include "core/completion.h"
#include "core/result.h"
#include "core/timer_queue.h"

namespace sluice {

struct ReactorOptions {
  unsigned sq_entries = 4096;
  // Per core, a power of two. Connections take turns on the buffers (BufferRing's claims), so
  // there may be far fewer buffers than connections. Pages are touched only when used.
  unsigned recv_buffer_count = 256;
  // Bytes per completion is the throughput lever: 256 KiB buffers moved 1 MiB uploads at 0.72
  // CPU-seconds per GB against 1.19 with 64 KiB (bench/uploads, scenario a).
  unsigned recv_buffer_size = 256 * 1024;
};

class Reactor {
 public:
  // Creates the ring on the calling thread (SINGLE_ISSUER binds it to this thread).
  static Result<std::unique_ptr<Reactor>> create(unsigned core, const ReactorOptions& opts);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The reactor of the calling thread, or nullptr outside reactor threads.
  static Reactor* current();

  unsigned core() const { return core_; }
  int ring_fd() const { return ring_.ring_fd; }
  unsigned setup_flags() const { return setup_flags_; }
  BufferRing& buffers() { return *buffers_; }
  Deadline now() const { return now_; }

  // An SQE, never null: submits pending SQEs first when the queue is short of `need` entries.
  io_uring_sqe* get_sqe(unsigned need = 1);
  // Arms an absolute CLOCK_MONOTONIC link timeout after the SQE just prepared (which must have
  // IOSQE_IO_LINK set). `ts` must live until submission (it lives in the awaiting frame).
  void link_deadline(io_uring_sqe* op, __kernel_timespec* ts, Deadline d);

  void add_timer(TimerEntry& t, Deadline when) { timers_.add(t, when); }
  void cancel_timer(TimerEntry& t) { timers_.cancel(t); }

  // Resumes `h` on a later turn of the loop (never inline), to avoid deep re-entrancy.
  void schedule(std::coroutine_handle<> h) { ready_.push_back(h); }

  // Runs `fn` on another core's reactor. Lock-free: a MSG_RING SQE carries the pointer.
  void post_to(unsigned core, std::function<void()> fn);
  void set_peers(std::vector<Reactor*> peers) { peers_ = std::move(peers); }
  unsigned cores() const { return static_cast<unsigned>(peers_.size()); }

  // Runs until stop(); returns after the current turn completes.
  void run();
  void stop() { stopping_ = true; }

  // Appends one log line to this core's log buffer, written asynchronously to stderr.
  void append_log(std::string_view line);

 private:
  explicit Reactor(unsigned core);
  void dispatch_completions();
  void flush_log();

  unsigned core_;
  unsigned setup_flags_ = 0;
  io_uring ring_{};
  bool ring_ready_ = false;
  BufferRing* buffers_ = nullptr;
  TimerQueue timers_;
  std::vector<std::coroutine_handle<>> ready_;
  std::vector<std::coroutine_handle<>> running_;
  std::vector<Reactor*> peers_;
  std::vector<std::function<void()>> local_calls_;  // post_to() this very core
  Deadline now_ = Clock::now();
  bool stopping_ = false;

  class LogWriter;
  std::unique_ptr<LogWriter> log_;
};

// Awaitable for one io_uring operation: `int res = co_await IoOp(reactor, prep, deadline)`.
// `prep(sqe)` fills the SQE. With a deadline the result is -ETIME when it passes.
template <class Prep>
class IoOp final : public Completion {
 public:
  IoOp(Reactor& r, Prep prep, Deadline d = kNoDeadline) : r_(r), prep_(std::move(prep)), deadline_(d) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    io_uring_sqe* sqe = r_.get_sqe(deadline_ == kNoDeadline ? 1 : 2);
    prep_(sqe);
    io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
    if (deadline_ != kNoDeadline) r_.link_deadline(sqe, &ts_, deadline_);
  }
  int await_resume() const noexcept { return res_; }
  void complete(int res, uint32_t) override {
    res_ = (res == -ECANCELED && deadline_ != kNoDeadline) ? -ETIME : res;
    h_.resume();
  }

 private:
  Reactor& r_;
  Prep prep_;
  Deadline deadline_;
  __kernel_timespec ts_{};
  int res_ = 0;
  std::coroutine_handle<> h_;
};

// Suspends the calling coroutine until `d` (a timer, not an io_uring op).
class SleepUntil final : public TimerEntry {
 public:
  SleepUntil(Reactor& r, Deadline d) : r_(r), d_(d) {}
  ~SleepUntil() { r_.cancel_timer(*this); }
  bool await_ready() const noexcept { return d_ <= Clock::now(); }
  void await_suspend(std::coroutine_handle<> h) { h_ = h; r_.add_timer(*this, d_); }
  void await_resume() const noexcept {}
  void fire() override { h_.resume(); }

 private:
  Reactor& r_;
  Deadline d_;
  std::coroutine_handle<> h_;
};

}  // namespace sluice
