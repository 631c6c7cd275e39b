// IntrusiveList: a doubly linked list threaded through its elements, so that linking and
// unlinking never allocate; a node unlinks itself when destroyed.
#pragma once

#include <cstddef>

namespace sluice {

class IntrusiveListNode {
 public:
  IntrusiveListNode() = default;
  IntrusiveListNode(const IntrusiveListNode&) = delete;
  IntrusiveListNode& operator=(const IntrusiveListNode&) = delete;
  ~IntrusiveListNode() { unlink(); }

  bool linked() const { return prev_ != nullptr; }
  void unlink() {
    if (!prev_) return;
    prev_->next_ = next_;
    next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }

 private:
  template <class T>
  friend class IntrusiveList;
  IntrusiveListNode* prev_ = nullptr;
  IntrusiveListNode* next_ = nullptr;
};

template <class T>
class IntrusiveList {
 public:
  IntrusiveList() { head_.prev_ = head_.next_ = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() {
    while (!empty()) head_.next_->unlink();
    head_.prev_ = head_.next_ = nullptr;
  }

  bool empty() const { return head_.next_ == &head_; }
  void push_back(T& t) {
    IntrusiveListNode& n = t;
    n.unlink();
    n.prev_ = head_.prev_;
    n.next_ = &head_;
    head_.prev_->next_ = &n;
    head_.prev_ = &n;
  }
  T* front() { return empty() ? nullptr : static_cast<T*>(head_.next_); }
  T* pop_front() {
    T* t = front();
    if (t) static_cast<IntrusiveListNode*>(t)->unlink();
    return t;
  }
  // Calls f(T&) for each element; f may unlink the element it is given.
  template <class F>
  void for_each(F f) {
    IntrusiveListNode* n = head_.next_;
    while (n != &head_) {
      IntrusiveListNode* next = n->next_;
      f(*static_cast<T*>(n));
      n = next;
    }
  }
  size_t size() const {
    size_t k = 0;
    for (const IntrusiveListNode* n = head_.next_; n != &head_; n = n->next_) ++k;
    return k;
  }

 private:
  IntrusiveListNode head_;
};

}  // namespace sluice
