#include "core/cancellable_op.h"

#include <liburing.h>

#include <cerrno>
#include <chrono>

#include "core/reactor.h"

namespace sluice {

CancellableOp::Awaiter CancellableOp::poll(int fd, unsigned events, Deadline d) {
  kind_ = Kind::poll;
  fd_ = fd;
  events_ = events;
  deadline_ = d;
  return Awaiter(*this);
}

CancellableOp::Awaiter CancellableOp::sleep_for(Duration d) {
  kind_ = Kind::sleep;
  deadline_ = kNoDeadline;  // the sleep is the operation itself: its -ETIME is its result
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  ts_ = __kernel_timespec{ns / 1000000000, ns % 1000000000};
  return Awaiter(*this);
}

void CancellableOp::arm(std::coroutine_handle<> h) {
  h_ = h;
  armed_ = true;
  io_uring_sqe* sqe = r_.get_sqe(deadline_ == kNoDeadline ? 1 : 2);
  if (kind_ == Kind::poll) io_uring_prep_poll_add(sqe, fd_, events_);
  else io_uring_prep_timeout(sqe, &ts_, 0, 0);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  if (deadline_ != kNoDeadline) r_.link_deadline(sqe, &ts_, deadline_);
}

void CancellableOp::cancel() {
  if (!armed_ || cancelling_) return;
  cancelling_ = true;
  io_uring_sqe* sqe = r_.get_sqe();
  io_uring_prep_cancel(sqe, static_cast<Completion*>(this), 0);
  io_uring_sqe_set_data64(sqe, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void CancellableOp::complete(int res, uint32_t) {
  armed_ = false;
  bool cancelled = cancelling_;
  cancelling_ = false;
  if (res == -ECANCELED && !cancelled && deadline_ != kNoDeadline) res = -ETIME;
  res_ = res;
  h_.resume();
}

}  // namespace sluice
