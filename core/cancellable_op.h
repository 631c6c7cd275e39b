// CancellableOp: one io_uring operation at a time (a poll, a sleep) that its owner can cancel
// from outside the awaiting coroutine, e.g. to wake a connection loop on shutdown or to re-arm
// a poll with another event mask. It is a member of its owner, so its address (the SQE's
// user_data) is known to the canceller. (IoOp is the one-shot form, for waits nobody cancels.)
#pragma once

#include <linux/time_types.h>

#include <coroutine>
#include <cstdint>

#include "core/clock.h"
#include "core/completion.h"

namespace sluice {

class Reactor;

class CancellableOp final : public Completion {
 public:
  explicit CancellableOp(Reactor& r) : r_(r) {}
  CancellableOp(const CancellableOp&) = delete;
  CancellableOp& operator=(const CancellableOp&) = delete;

  class Awaiter {
   public:
    explicit Awaiter(CancellableOp& op) : op_(op) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { op_.arm(h); }
    // The CQE result: -ECANCELED after cancel(), -ETIME when the deadline passed.
    int await_resume() const noexcept { return op_.res_; }

   private:
    CancellableOp& op_;
  };

  // Waits until `fd` is ready for `events` (POLLIN, POLLOUT...); the ready mask or -errno.
  Awaiter poll(int fd, unsigned events, Deadline d = kNoDeadline);
  // Waits for `d` to elapse: -ETIME when it did, -ECANCELED after cancel().
  Awaiter sleep_for(Duration d);

  // Asks the kernel to cancel the operation in flight, if any; its awaiter then resumes
  // with -ECANCELED (or its natural result if it completed first).
  void cancel();

  bool armed() const { return armed_; }

  void complete(int res, uint32_t flags) override;

 private:
  enum class Kind : uint8_t { poll, sleep };
  void arm(std::coroutine_handle<> h);

  Reactor& r_;
  std::coroutine_handle<> h_;
  Kind kind_ = Kind::poll;
  int fd_ = -1;
  unsigned events_ = 0;
  // The sleep's length, or the poll's link timeout; read by the kernel at submission.
  __kernel_timespec ts_{};
  Deadline deadline_ = kNoDeadline;
  int res_ = 0;
  bool armed_ = false;
  bool cancelling_ = false;
};

}  // namespace sluice
