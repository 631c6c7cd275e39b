#include "core/timer_queue.h"

#include <cassert>

namespace sluice {

void TimerQueue::add(TimerEntry& t, Deadline when) {
  if (t.armed()) cancel(t);
  t.when_ = when;
  heap_.push_back(&t);
  t.index_ = heap_.size() - 1;
  sift_up(t.index_);
}

void TimerQueue::cancel(TimerEntry& t) {
  if (!t.armed()) return;
  size_t i = t.index_;
  assert(i < heap_.size() && heap_[i] == &t);
  TimerEntry* last = heap_.back();
  heap_.pop_back();
  t.index_ = TimerEntry::kNotArmed;
  if (i == heap_.size()) return;
  place(i, last);
  sift_up(i);
  sift_down(last->index_);
}

size_t TimerQueue::fire_expired(Deadline now) {
  size_t fired = 0;
  while (!heap_.empty() && heap_.front()->when_ <= now) {
    TimerEntry* t = heap_.front();
    cancel(*t);
    ++fired;
    t->fire();  // may add or cancel other timers
  }
  return fired;
}

void TimerQueue::sift_up(size_t i) {
  TimerEntry* t = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (heap_[parent]->when_ <= t->when_) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerQueue::sift_down(size_t i) {
  TimerEntry* t = heap_[i];
  size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->when_ < heap_[child]->when_) ++child;
    if (t->when_ <= heap_[child]->when_) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace sluice
