// WorkerPool: a few plain threads for CPU-heavy work that must not run on a reactor thread
// (password hashing: tens of milliseconds each). The queue is bounded: a full queue refuses at
// once instead of letting waits grow. A finished job returns to the reactor that submitted it
// as an io_uring message (IORING_OP_MSG_RING sent from the worker's own small ring), the same
// way cores talk to each other, so the reactor never waits on a lock or a condition variable.
// The only lock is the queue's, held for a push or a pop, never across a job.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/completion.h"
#include "core/reactor.h"

namespace sluice {

struct WorkerPoolOptions {
  unsigned threads = 2;
  size_t max_queued = 64;  // jobs waiting for a thread; beyond it run() answers nullopt
};

class WorkerPool {
 public:
  explicit WorkerPool(WorkerPoolOptions opts);
  ~WorkerPool();  // finishes the queued jobs, then joins the threads
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  template <class T>
  class Call;

  // `co_await pool.run(reactor, fn)`: fn() on a worker thread, the caller resumed on `home`'s
  // thread with its value; nullopt when the queue is full (fn never runs). fn must not touch
  // the reactor's state: it runs on another thread.
  template <class F>
  auto run(Reactor& home, F fn) {
    using T = std::invoke_result_t<F>;
    static_assert(!std::is_void_v<T>, "WorkerPool::run needs a value");
    return Call<T>(*this, home, std::function<T()>(std::move(fn)));
  }

  size_t queued() const;

  struct Job {
    std::function<void()> work;
    int ring_fd = -1;            // the submitting reactor's ring
    Completion* done = nullptr;  // completed there, with res 0
  };
  // Queues `job`; false when the queue is full or the pool is stopping.
  bool try_push(Job job);

 private:
  void work_loop();

  WorkerPoolOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

template <class T>
class WorkerPool::Call final : public Completion {
 public:
  Call(WorkerPool& pool, Reactor& home, std::function<T()> fn) : pool_(pool), home_(home), fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    Job job;
    job.work = [this] { result_.emplace(fn_()); };
    job.ring_fd = home_.ring_fd();
    job.done = this;
    return pool_.try_push(std::move(job));  // false: not suspended, await_resume says nullopt
  }
  std::optional<T> await_resume() { return std::move(result_); }
  void complete(int, uint32_t) override { h_.resume(); }

 private:
  WorkerPool& pool_;
  Reactor& home_;
  std::function<T()> fn_;
  std::optional<T> result_;
  std::coroutine_handle<> h_;
};

}  // namespace sluice
