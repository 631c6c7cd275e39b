// Task<T>: a lazily started coroutine returning T, awaited with co_await; plus spawn() for
// detached tasks that belong to a TaskGroup so shutdown can drain them.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstdlib>
#include <optional>
#include <utility>

namespace sluice {

template <class T>
class Task;

namespace detail {

struct TaskFinalAwaiter {
  bool await_ready() noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    auto cont = h.promise().continuation;
    return cont ? cont : std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

struct TaskPromiseBase {
  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() noexcept { return {}; }
  TaskFinalAwaiter final_suspend() noexcept { return {}; }
  // Exceptions are not part of the request path; one escaping a task is a bug.
  void unhandled_exception() noexcept { std::abort(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::TaskPromiseBase {
    std::optional<T> value;
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    template <class U>
    void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  };

  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); h_ = std::exchange(o.h_, {}); }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool await_ready() const noexcept { return !h_ || h_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> cont) noexcept {
    h_.promise().continuation = cont;
    return h_;
  }
  T await_resume() { return std::move(*h_.promise().value); }

 private:
  void reset() { if (h_) h_.destroy(); h_ = {}; }
  std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::TaskPromiseBase {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_void() noexcept {}
  };

  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); h_ = std::exchange(o.h_, {}); }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool await_ready() const noexcept { return !h_ || h_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> cont) noexcept {
    h_.promise().continuation = cont;
    return h_;
  }
  void await_resume() noexcept {}

 private:
  void reset() { if (h_) h_.destroy(); h_ = {}; }
  std::coroutine_handle<promise_type> h_;
};

// TaskGroup counts the detached tasks spawned into it; wait() resumes when none is left.
// It belongs to one reactor and is touched only by that reactor's thread.
class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup() { assert(count_ == 0); }

  size_t size() const { return count_; }
  void enter() { ++count_; }
  void leave() {
    assert(count_ > 0);
    if (--count_ == 0 && waiter_) std::exchange(waiter_, {}).resume();
  }

  struct WaitAwaiter {
    TaskGroup& g;
    bool await_ready() const noexcept { return g.count_ == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { g.waiter_ = h; }
    void await_resume() noexcept {}
  };
  // Resumes once every task spawned into the group has finished. One waiter at a time.
  WaitAwaiter wait() { return WaitAwaiter{*this}; }

 private:
  size_t count_ = 0;
  std::coroutine_handle<> waiter_;
};

namespace detail {
struct DetachedTask {
  struct promise_type {
    DetachedTask get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::abort(); }
  };
};
inline DetachedTask run_detached(Task<void> t, TaskGroup* group) {
  co_await t;
  if (group) group->leave();
}
}  // namespace detail

// Starts `t` now and lets it run to completion on its own; `group` (if any) tracks it.
inline void spawn(Task<void> t, TaskGroup* group = nullptr) {
  if (group) group->enter();
  detail::run_detached(std::move(t), group);
}

}  // namespace sluice
