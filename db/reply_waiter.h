// ReplyWaiter<T>: what a coroutine awaits while its query or command is queued on a pipelined
// connection. The connection delivers the reply (or an error) through a slot that points at the
// waiter; when the waiter's deadline passes first it unhooks itself from the slot, so the reply
// that arrives later is discarded, and resumes with Errc::timeout.
#pragma once

#include <coroutine>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/timer_queue.h"

namespace sluice {

template <class T>
class ReplyWaiter final : private TimerEntry {
 public:
  // `what` names the operation in the timeout message; it must be a static string.
  ReplyWaiter(Reactor& r, Deadline d, std::string_view what) : r_(r), d_(d), what_(what) {}
  ReplyWaiter(const ReplyWaiter&) = delete;
  ReplyWaiter& operator=(const ReplyWaiter&) = delete;
  ~ReplyWaiter() {
    r_.cancel_timer(*this);
    unhook();
  }

  // The connection's entry keeps `slot`; the waiter clears it when it gives up.
  void hook(ReplyWaiter** slot) {
    slot_ = slot;
    *slot_ = this;
  }

  // Called by the connection; resumes the awaiting coroutine on a later loop turn.
  void deliver(Result<T> r) {
    if (result_) return;
    unhook();
    r_.cancel_timer(*this);
    result_.emplace(std::move(r));
    if (h_) r_.schedule(std::exchange(h_, {}));
  }

  bool await_ready() const noexcept { return result_.has_value(); }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    if (d_ != kNoDeadline) r_.add_timer(*this, d_);
  }
  Result<T> await_resume() { return std::move(*result_); }

 private:
  void unhook() {
    if (slot_) *std::exchange(slot_, nullptr) = nullptr;
  }
  void fire() override {
    unhook();
    result_.emplace(Error(Errc::timeout, std::string(what_) + ": deadline passed before the reply came"));
    if (h_) std::exchange(h_, {}).resume();
  }

  Reactor& r_;
  Deadline d_;
  std::string_view what_;
  ReplyWaiter** slot_ = nullptr;
  std::optional<Result<T>> result_;
  std::coroutine_handle<> h_;
};

}  // namespace sluice
