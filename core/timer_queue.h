// TimerQueue: a reactor's deadlines, an intrusive binary min-heap (O(log n), no allocation per
// timer once the heap has grown). The reactor sleeps in io_uring until the earliest one.
#pragma once

#include <cstddef>
#include <vector>

#include "core/clock.h"

namespace sluice {

class TimerEntry {
 public:
  TimerEntry() = default;
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;
  bool armed() const { return index_ != kNotArmed; }
  Deadline when() const { return when_; }
  virtual void fire() = 0;

 protected:
  ~TimerEntry() = default;

 private:
  friend class TimerQueue;
  static constexpr size_t kNotArmed = static_cast<size_t>(-1);
  Deadline when_{};
  size_t index_ = kNotArmed;
};

class TimerQueue {
 public:
  void add(TimerEntry& t, Deadline when);
  void cancel(TimerEntry& t);
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Deadline earliest() const { return heap_.empty() ? kNoDeadline : heap_.front()->when_; }
  // Fires every timer whose deadline is <= now; returns how many fired.
  size_t fire_expired(Deadline now);

 private:
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, TimerEntry* t) { heap_[i] = t; t->index_ = i; }
  std::vector<TimerEntry*> heap_;
};

}  // namespace sluice
