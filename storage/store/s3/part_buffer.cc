#include "storage/store/s3/part_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice::s3 {

namespace {
constexpr uint64_t kFirstAllocation = 64 * 1024;
}

// One upload waiting for `n` bytes of the budget, until its deadline.
class PartBufferBudget::Wait final : private TimerEntry {
 public:
  Wait(PartBufferBudget& b, uint64_t n, Deadline d) : b_(b), n_(n), d_(d) {}
  ~Wait() {
    b_.r_.cancel_timer(*this);
    remove();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    b_.waiters_.push_back(this);
    b_.r_.add_timer(*this, d_);
  }
  bool await_resume() const { return granted_; }
  uint64_t bytes() const { return n_; }
  // The budget charged our bytes: resume with them.
  void grant() {
    b_.r_.cancel_timer(*this);
    granted_ = true;
    if (h_) b_.r_.schedule(std::exchange(h_, {}));
  }

 private:
  void remove() {
    auto& q = b_.waiters_;
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (*it == this) {
        q.erase(it);
        break;
      }
    }
  }
  void fire() override {
    bool was_head = !b_.waiters_.empty() && b_.waiters_.front() == this;
    remove();
    if (h_) b_.r_.schedule(std::exchange(h_, {}));
    if (was_head) b_.release(0);  // a smaller request behind us may fit now
  }
  PartBufferBudget& b_;
  uint64_t n_;
  Deadline d_;
  std::coroutine_handle<> h_;
  bool granted_ = false;
};

PartBufferBudget::~PartBufferBudget() = default;

void PartBufferBudget::release(uint64_t n) {
  used_ -= n;
  while (!waiters_.empty() && fits(waiters_.front()->bytes())) {
    Wait* w = waiters_.front();
    waiters_.pop_front();
    used_ += w->bytes();
    w->grant();
  }
}

Task<Result<PartBuffer>> PartBuffer::take(PartBufferBudget& budget, uint64_t capacity, Deadline d) {
  // Behind the queue, even when the bytes are free: a stream of small requests must not starve
  // a large one that waits.
  if (budget.waiters_.empty() && budget.fits(capacity)) {
    budget.used_ += capacity;
    co_return PartBuffer(budget, capacity);
  }
  if (capacity <= budget.cap_ && d > Clock::now()) {
    PartBufferBudget::Wait wait(budget, capacity, d);
    if (co_await wait) co_return PartBuffer(budget, capacity);
  }
  co_return Error(Errc::unavailable, "upload buffer budget exhausted (" + std::to_string(budget.used_) + " of " +
                                         std::to_string(budget.cap_) + " bytes in use, " + std::to_string(capacity) +
                                         " more needed, " + std::to_string(budget.waiters_.size()) +
                                         " uploads waiting): retry later, or send Content-Length");
}

PartBuffer::~PartBuffer() {
  if (budget_) budget_->release(capacity_);
}

PartBuffer::PartBuffer(PartBuffer&& o) noexcept
    : budget_(o.budget_), capacity_(o.capacity_), size_(o.size_), allocated_(o.allocated_), data_(std::move(o.data_)) {
  o.budget_ = nullptr;
  o.size_ = o.allocated_ = 0;
}

size_t PartBuffer::append(std::span<const char> data) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), room()));
  if (n == 0) return 0;
  if (size_ + n > allocated_) {
    // Grow geometrically up to the capacity, so a small body costs little real memory.
    uint64_t want = std::min(capacity_, std::max({size_ + n, allocated_ * 2, kFirstAllocation}));
    std::unique_ptr<char[]> grown(new char[want]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    allocated_ = want;
  }
  std::memcpy(data_.get() + size_, data.data(), n);
  size_ += n;
  return n;
}

Task<Status> PartFiller::fill(PartBuffer& buffer) {
  for (;;) {
    if (!pending_.empty()) {
      pending_ = pending_.subspan(buffer.append(pending_));
      if (!pending_.empty()) co_return Status();  // full, and more follows
    }
    if (ended_) co_return Status();
    auto chunk = co_await source_.next();
    if (!chunk) co_return std::move(chunk).error();
    if (chunk->empty()) {
      ended_ = true;
      co_return Status();
    }
    if (chunk->size() > max_size_ - total_) {
      co_return Error(Errc::limit_exceeded, "body exceeds the limit of " + std::to_string(max_size_) + " bytes");
    }
    total_ += chunk->size();
    digest_.update(*chunk);
    pending_ = *chunk;
  }
}

}  // namespace sluice::s3
