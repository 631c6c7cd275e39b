// SlotPool: a core's upload slots (operators size them with slots_per_core). Taking one is a
// local counter; when the core is full it asks its neighbours by message for one of theirs; when
// every core is full it waits in a bounded queue up to `max_wait`, then refuses.
// One pool per core; the pools learn of each other once at start-up (set_peers).
#pragma once

#include <coroutine>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/intrusive_list.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "core/timer_queue.h"

namespace sluice {

struct SlotPoolOptions {
  unsigned slots = 512;          // per core
  unsigned max_waiters = 1024;   // per core; beyond that, refuse at once
  Duration max_wait{0};          // 0: refuse at once when everything is full
  bool borrow = true;            // ask other cores before waiting
};

struct SlotPoolStats {
  uint64_t acquired_local = 0;
  uint64_t acquired_borrowed = 0;
  uint64_t acquired_after_wait = 0;
  uint64_t refused = 0;
  SlotPoolStats& operator+=(const SlotPoolStats& o) {
    acquired_local += o.acquired_local;
    acquired_borrowed += o.acquired_borrowed;
    acquired_after_wait += o.acquired_after_wait;
    refused += o.refused;
    return *this;
  }
};

class SlotPool {
 public:
  // A held slot; gives it back (to the core it came from) when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(SlotPool* home, unsigned owner) : home_(home), owner_(owner) {}
    Slot(Slot&& o) noexcept : home_(std::exchange(o.home_, nullptr)), owner_(o.owner_) {}
    Slot& operator=(Slot&& o) noexcept {
      if (this != &o) {
        release();
        home_ = std::exchange(o.home_, nullptr);
        owner_ = o.owner_;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    bool held() const { return home_ != nullptr; }
    unsigned owner_core() const { return owner_; }
    void release();

   private:
    SlotPool* home_ = nullptr;  // the pool of the core holding it
    unsigned owner_ = 0;        // the core whose counter it came from
  };

  SlotPool(Reactor& r, SlotPoolOptions opts);
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  // Pools of every core, indexed by core; set once before serving.
  void set_peers(std::vector<SlotPool*> peers) { peers_ = std::move(peers); }

  // A slot, or Errc::unavailable when none could be had within max_wait.
  Task<Result<Slot>> acquire();

  unsigned in_use() const { return in_use_; }
  unsigned capacity() const { return opts_.slots; }
  size_t waiting() const { return waiters_.size(); }
  const SlotPoolStats& stats() const { return stats_; }

 private:
  class Waiter;
  bool try_take_local();
  void give_back_local();  // a slot of this core's counter is free again
  Task<int> borrow_from_peers();  // the core that lent a slot, or -1

  Reactor& r_;
  SlotPoolOptions opts_;
  unsigned in_use_ = 0;
  std::vector<SlotPool*> peers_;
  IntrusiveList<Waiter> waiters_;
  SlotPoolStats stats_;
};

}  // namespace sluice
