#include "core/worker_pool.h"

#include <liburing.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace sluice {

WorkerPool::WorkerPool(WorkerPoolOptions opts) : opts_(opts) {
  if (opts_.threads == 0) opts_.threads = 1;
  threads_.reserve(opts_.threads);
  for (unsigned i = 0; i < opts_.threads; ++i) threads_.emplace_back([this] { work_loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool WorkerPool::try_push(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= opts_.max_queued) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::work_loop() {
  // The worker's own ring exists only to send MSG_RING messages to reactors' rings.
  io_uring ring{};
  bool have_ring = io_uring_queue_init(4, &ring, 0) == 0;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and nothing left to finish
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.work();
    int rc = -EINVAL;
    if (have_ring) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_msg_ring(sqe, job.ring_fd, 0, reinterpret_cast<uint64_t>(job.done), 0);
      io_uring_sqe_set_data64(sqe, 1);
      rc = io_uring_submit(&ring);
      io_uring_cqe* cqe = nullptr;
      if (rc >= 0) rc = io_uring_wait_cqe(&ring, &cqe);
      if (rc >= 0) {
        rc = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
      }
    }
    if (rc < 0) {  // the reactor will never resume the job's caller: say so loudly
      std::string line = "{\"level\":\"error\",\"event\":\"worker_pool_reply_failed\",\"error\":\"";
      line += std::strerror(-rc);
      line += "\"}\n";
      (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
  }
  if (have_ring) io_uring_queue_exit(&ring);
}

}  // namespace sluice
