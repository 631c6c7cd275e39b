#include "core/reactor.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sluice {

namespace {
thread_local Reactor* tl_current = nullptr;

// Cross-core call: allocated by the sender, run and freed by the receiving reactor.
class CrossCoreCall final : public Completion {
 public:
  explicit CrossCoreCall(std::function<void()> fn) : fn_(std::move(fn)) {}
  void complete(int, uint32_t) override {
    auto fn = std::move(fn_);
    delete this;
    fn();
  }

 private:
  std::function<void()> fn_;
};

constexpr size_t kMaxPendingLog = 1 << 20;  // drop log lines beyond 1 MiB queued on one core
}  // namespace

// Writes a core's log lines to stderr through io_uring, one write in flight, so that a slow
// stderr never blocks the reactor.
class Reactor::LogWriter final : public Completion {
 public:
  explicit LogWriter(Reactor& r) : r_(r) {}
  void append(std::string_view line) {
    if (pending_.size() + line.size() > kMaxPendingLog) {
      ++dropped_;
      return;
    }
    pending_.append(line);
  }
  void flush() {
    if (in_flight_ || pending_.empty()) return;
    if (dropped_) {
      pending_ += "{\"level\":\"warn\",\"event\":\"log_lines_dropped\",\"count\":" + std::to_string(dropped_) + "}\n";
      dropped_ = 0;
    }
    writing_.swap(pending_);
    pending_.clear();
    write_from_ = 0;
    submit();
  }
  bool idle() const { return !in_flight_; }
  void complete(int res, uint32_t) override {
    in_flight_ = false;
    if (res <= 0) {  // stderr is gone; nothing sensible left to do with the lines
      writing_.clear();
      return;
    }
    write_from_ += static_cast<size_t>(res);
    if (write_from_ < writing_.size()) {
      submit();
      return;
    }
    writing_.clear();
    flush();
  }

 private:
  void submit() {
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_write(sqe, STDERR_FILENO, writing_.data() + write_from_,
                        static_cast<unsigned>(writing_.size() - write_from_), static_cast<uint64_t>(-1));
    io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
    in_flight_ = true;
  }
  Reactor& r_;
  std::string pending_;
  std::string writing_;
  size_t write_from_ = 0;
  bool in_flight_ = false;
  uint64_t dropped_ = 0;
};

Result<std::unique_ptr<Reactor>> Reactor::create(unsigned core, const ReactorOptions& opts) {
  std::unique_ptr<Reactor> r(new Reactor(core));
  // SINGLE_ISSUER: only this thread submits, letting the kernel skip locking.
  // DEFER_TASKRUN: completion work runs when we wait, in batches, not as interrupts.
  // COOP_TASKRUN: the fallback for kernels without DEFER_TASKRUN (< 6.1).
  const unsigned tries[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      0,
  };
  int rc = -EINVAL;
  for (unsigned flags : tries) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = opts.sq_entries * 4;  // multishot ops post many CQEs per SQE
    rc = io_uring_queue_init_params(opts.sq_entries, &r->ring_, &p);
    if (rc == 0) {
      r->setup_flags_ = flags;
      break;
    }
    if (rc != -EINVAL) break;
  }
  if (rc < 0) return errno_error("io_uring_queue_init", rc);
  r->ring_ready_ = true;
  auto br = BufferRing::create(*r, &r->ring_, opts.recv_buffer_count, opts.recv_buffer_size);
  if (!br) return std::move(br).error();
  r->buffers_ = *br;
  r->log_ = std::make_unique<LogWriter>(*r);
  return r;
}

Reactor::Reactor(unsigned core) : core_(core) {}

Reactor::~Reactor() {
  if (tl_current == this) tl_current = nullptr;
  delete buffers_;
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

Reactor* Reactor::current() { return tl_current; }

io_uring_sqe* Reactor::get_sqe(unsigned need) {
  if (io_uring_sq_space_left(&ring_) < need) io_uring_submit(&ring_);
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {  // the kernel has not consumed the queue yet: push it and retry
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Reactor::link_deadline(io_uring_sqe* op, __kernel_timespec* ts, Deadline d) {
  auto since_epoch = d.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  ts->tv_sec = secs.count();
  ts->tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count();
  op->flags |= IOSQE_IO_LINK;
  io_uring_sqe* t = io_uring_get_sqe(&ring_);  // get_sqe(2) reserved room for it
  io_uring_prep_link_timeout(t, ts, IORING_TIMEOUT_ABS);
  io_uring_sqe_set_data64(t, 0);  // its own completion is of no interest
  t->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void Reactor::post_to(unsigned core, std::function<void()> fn) {
  if (core == core_) {  // never inline: the caller may be in the middle of something
    local_calls_.push_back(std::move(fn));
    return;
  }
  auto* call = new CrossCoreCall(std::move(fn));
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_msg_ring(sqe, peers_.at(core)->ring_fd(), 0,
                         reinterpret_cast<uint64_t>(static_cast<Completion*>(call)), 0);
  io_uring_sqe_set_data64(sqe, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void Reactor::append_log(std::string_view line) { log_->append(line); }

void Reactor::flush_log() { log_->flush(); }

void Reactor::dispatch_completions() {
  io_uring_cqe* cqes[256];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 256);
    if (n == 0) return;
    struct Done {
      uint64_t data;
      int res;
      uint32_t flags;
    } done[256];
    for (unsigned i = 0; i < n; ++i) done[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    io_uring_cq_advance(&ring_, n);
    now_ = Clock::now();
    for (unsigned i = 0; i < n; ++i) {
      if (done[i].data == 0) continue;  // link timeouts, msg_ring send side
      reinterpret_cast<Completion*>(done[i].data)->complete(done[i].res, done[i].flags);
    }
    if (n < 256) return;
  }
}

void Reactor::run() {
  tl_current = this;
  // stop() may already have been called by a task that finished before the loop started.
  while (!stopping_) {
    now_ = Clock::now();
    timers_.fire_expired(now_);
    while (!ready_.empty() || !local_calls_.empty()) {
      running_.swap(ready_);
      for (auto h : running_) h.resume();
      running_.clear();
      std::vector<std::function<void()>> calls;
      calls.swap(local_calls_);
      for (auto& fn : calls) fn();
    }
    if (stopping_) break;
    flush_log();

    __kernel_timespec ts{};
    __kernel_timespec* tsp = nullptr;
    Deadline next = timers_.earliest();
    if (!ready_.empty() || !local_calls_.empty()) {
      tsp = &ts;  // zero: just collect what is there
    } else if (next != kNoDeadline) {
      auto wait = next - Clock::now();
      if (wait < Duration::zero()) wait = Duration::zero();
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
      ts.tv_sec = ns / 1000000000;
      ts.tv_nsec = ns % 1000000000;
      tsp = &ts;
    }
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, tsp, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      std::string line = "{\"level\":\"error\",\"event\":\"io_uring_wait_failed\",\"error\":\"";
      line += std::strerror(-rc);
      line += "\"}\n";
      (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
    dispatch_completions();
  }
  // Push out whatever is still queued (e.g. a final log line) before the thread leaves.
  flush_log();
  io_uring_submit(&ring_);
  for (int i = 0; i < 100 && !log_->idle(); ++i) {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{0, 10 * 1000 * 1000};
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    dispatch_completions();
  }
}

}  // namespace sluice
