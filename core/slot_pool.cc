#include "core/slot_pool.h"

#include "core/cross_core.h"

namespace sluice {

// A coroutine parked until a slot frees up or its deadline passes.
class SlotPool::Waiter final : public IntrusiveListNode, public TimerEntry {
 public:
  explicit Waiter(SlotPool& p) : pool_(p) {}
  ~Waiter() { pool_.r_.cancel_timer(*this); }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    pool_.waiters_.push_back(*this);
    pool_.r_.add_timer(*this, deadline_after(pool_.opts_.max_wait));
  }
  bool await_resume() const noexcept { return granted_; }
  void grant() {  // the slot is already counted for us
    granted_ = true;
    IntrusiveListNode::unlink();
    pool_.r_.cancel_timer(*this);
    pool_.r_.schedule(h_);
  }
  void fire() override {
    IntrusiveListNode::unlink();
    h_.resume();
  }

 private:
  SlotPool& pool_;
  std::coroutine_handle<> h_;
  bool granted_ = false;
};

void SlotPool::Slot::release() {
  if (!home_) return;
  SlotPool* home = std::exchange(home_, nullptr);
  if (owner_ == home->r_.core()) {
    home->give_back_local();
  } else {
    SlotPool* owner = home->peers_.at(owner_);
    home->r_.post_to(owner_, [owner] { owner->give_back_local(); });
  }
}

SlotPool::SlotPool(Reactor& r, SlotPoolOptions opts) : r_(r), opts_(opts) {}

SlotPool::~SlotPool() = default;

bool SlotPool::try_take_local() {
  if (in_use_ >= opts_.slots) return false;
  ++in_use_;
  return true;
}

void SlotPool::give_back_local() {
  // Hand the slot straight to the longest waiter of this core, if any.
  if (Waiter* w = waiters_.pop_front()) {
    w->grant();
    return;
  }
  --in_use_;
}

Task<int> SlotPool::borrow_from_peers() {
  unsigned n = static_cast<unsigned>(peers_.size());
  for (unsigned i = 1; i < n; ++i) {
    unsigned core = (r_.core() + i) % n;
    SlotPool* peer = peers_[core];
    auto take = [peer] { return peer->try_take_local(); };
    bool got = co_await submit_to(r_, core, std::move(take));
    if (got) co_return static_cast<int>(core);
  }
  co_return -1;
}

Task<Result<SlotPool::Slot>> SlotPool::acquire() {
  if (try_take_local()) {
    ++stats_.acquired_local;
    co_return Slot(this, r_.core());
  }
  if (opts_.borrow && peers_.size() > 1) {
    int core = co_await borrow_from_peers();
    if (core >= 0) {
      ++stats_.acquired_borrowed;
      co_return Slot(this, static_cast<unsigned>(core));
    }
  }
  if (opts_.max_wait > Duration::zero() && waiters_.size() < opts_.max_waiters) {
    Waiter w(*this);
    if (co_await w) {
      ++stats_.acquired_after_wait;
      co_return Slot(this, r_.core());
    }
  }
  ++stats_.refused;
  co_return Error(Errc::unavailable, "all " + std::to_string(opts_.slots * std::max<size_t>(1, peers_.size())) +
                                         " upload slots of this instance are busy; retry later");
}

}  // namespace sluice
