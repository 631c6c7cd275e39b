// submit_to(core, fn): runs fn on another core's reactor and resumes the caller on its own core
// with fn's result. Both hops are MSG_RING messages; nothing is shared under a lock.
#pragma once

#include <coroutine>
#include <functional>
#include <optional>
#include <type_traits>

#include "core/reactor.h"

namespace sluice {

template <class T>
class CrossCoreCall {
 public:
  CrossCoreCall(Reactor& home, unsigned core, std::function<T()> fn)
      : home_(home), core_(core), fn_(std::move(fn)) {}
  // On the caller's own core there is nothing to send: run fn right here.
  bool await_ready() const noexcept { return core_ == home_.core(); }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    home_.post_to(core_, [this] {
      result_.emplace(fn_());
      Reactor::current()->post_to(home_.core(), [this] { h_.resume(); });
    });
  }
  T await_resume() {
    if (!result_) result_.emplace(fn_());
    return std::move(*result_);
  }

 private:
  Reactor& home_;
  unsigned core_;
  std::function<T()> fn_;
  std::optional<T> result_;
  std::coroutine_handle<> h_;
};

template <class F>
auto submit_to(Reactor& home, unsigned core, F fn) {
  using T = std::invoke_result_t<F>;
  static_assert(!std::is_void_v<T>, "submit_to needs a value; return a bool or a struct");
  return CrossCoreCall<T>(home, core, std::function<T()>(std::move(fn)));
}

}  // namespace sluice
