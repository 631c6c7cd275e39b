// CancellableOp: one io_uring operation at a time (a poll, a timeout) that its owner can cancel
// from outside the awaiting coroutine, e.g. to wake a connection loop on shutdown or to re-arm
// a poll with another event mask. It is a member of its owner, so its address (the SQE's
// user_data) is known to the canceller.
#pragma once

#include <liburing.h>

#include <cerrno>
#include <coroutine>
#include <cstdint>

#include "core/clock.h"
#include "core/completion.h"
#include "core/reactor.h"

namespace sluice {

class CancellableOp final : public Completion {
 public:
  explicit CancellableOp(Reactor& r) : r_(r) {}
  CancellableOp(const CancellableOp&) = delete;
  CancellableOp& operator=(const CancellableOp&) = delete;

  template <class Prep>
  class Awaiter {
   public:
    Awaiter(CancellableOp& op, Prep prep, Deadline d) : op_(op), prep_(std::move(prep)), d_(d) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      op_.h_ = h;
      op_.armed_ = true;
      io_uring_sqe* sqe = op_.r_.get_sqe(d_ == kNoDeadline ? 1 : 2);
      prep_(sqe);
      io_uring_sqe_set_data(sqe, static_cast<Completion*>(&op_));
      if (d_ != kNoDeadline) op_.r_.link_deadline(sqe, &op_.ts_, d_);
    }
    // The CQE result: -ECANCELED after cancel(), -ETIME when the deadline passed.
    int await_resume() const noexcept { return op_.res_; }

   private:
    CancellableOp& op_;
    Prep prep_;
    Deadline d_;
  };

  // Starts the operation `prep` fills in; one at a time.
  template <class Prep>
  Awaiter<Prep> run(Prep prep, Deadline d = kNoDeadline) {
    deadline_ = d;
    return Awaiter<Prep>(*this, std::move(prep), d);
  }

  // Asks the kernel to cancel the operation in flight, if any; its awaiter then resumes
  // with -ECANCELED (or its natural result if it completed first).
  void cancel() {
    if (!armed_ || cancelling_) return;
    cancelling_ = true;
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_cancel(sqe, static_cast<Completion*>(this), 0);
    io_uring_sqe_set_data64(sqe, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }

  bool armed() const { return armed_; }

  void complete(int res, uint32_t) override {
    armed_ = false;
    bool cancelled = cancelling_;
    cancelling_ = false;
    if (res == -ECANCELED && !cancelled && deadline_ != kNoDeadline) res = -ETIME;
    res_ = res;
    h_.resume();
  }

 private:
  Reactor& r_;
  std::coroutine_handle<> h_;
  __kernel_timespec ts_{};
  Deadline deadline_ = kNoDeadline;
  int res_ = 0;
  bool armed_ = false;
  bool cancelling_ = false;
};

}  // namespace sluice
