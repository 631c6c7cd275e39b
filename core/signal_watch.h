// SignalWatch: SIGINT/SIGTERM (and, when asked, SIGHUP) delivered through a signalfd that a reactor reads with io_uring,
// so shutdown starts as an ordinary event on a core. Construct it before starting threads:
// it blocks the signals for every thread created afterwards.
#pragma once

#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"

namespace sluice {

class SignalWatch {
 public:
  // `hangup`: SIGHUP is watched too (a reload request) instead of killing the process.
  static Result<SignalWatch> create(bool hangup = false);
  SignalWatch(SignalWatch&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  SignalWatch(const SignalWatch&) = delete;
  ~SignalWatch();
  // Waits for the next signal watched; returns its number (or -errno).
  Task<int> next(Reactor& r);
  // Ends a pending next() with -ECANCELED (so its coroutine finishes before the reactor stops).
  void cancel(Reactor& r);
  int fd() const { return fd_; }

 private:
  explicit SignalWatch(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sluice
