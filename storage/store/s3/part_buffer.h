// PartBuffer: memory for one part of a body of unknown length, which must be held whole before
// it is sent (its Content-Length is known only once it is full or the body ends). Drawn from a
// per-store (so per-core) PartBufferBudget, so buffered uploads cannot take unbounded memory.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "storage/store/object_store.h"
#include "storage/store/stream_digest.h"

namespace sluice::s3 {

// A counter of the bytes all of a store's part buffers may hold, and the queue of uploads
// waiting for some (first come, first served). Single-core: no atomics, no locks.
class PartBufferBudget {
 public:
  PartBufferBudget(Reactor& r, uint64_t cap) : r_(r), cap_(cap) {}
  ~PartBufferBudget();
  uint64_t cap() const { return cap_; }
  uint64_t used() const { return used_; }
  size_t waiting() const { return waiters_.size(); }

 private:
  friend class PartBuffer;
  class Wait;
  bool fits(uint64_t n) const { return n <= cap_ && used_ <= cap_ - n; }
  // Gives `n` bytes back and hands what is free to the waiters at the head of the queue.
  void release(uint64_t n);

  Reactor& r_;
  uint64_t cap_;
  uint64_t used_ = 0;
  std::deque<Wait*> waiters_;
};

class PartBuffer {
 public:
  // Charges `capacity` bytes to the budget for the buffer's lifetime (memory itself is taken as
  // bytes arrive), waiting behind earlier callers until `d` for them to be free: meanwhile the
  // upload reads nothing, so TCP slows its client down. Errc::unavailable when they are not
  // free by then (kNoDeadline is not allowed; a deadline already past refuses at once).
  static Task<Result<PartBuffer>> take(PartBufferBudget& budget, uint64_t capacity, Deadline d);
  ~PartBuffer();
  PartBuffer(PartBuffer&& o) noexcept;
  PartBuffer& operator=(PartBuffer&&) = delete;
  PartBuffer(const PartBuffer&) = delete;

  uint64_t capacity() const { return capacity_; }
  uint64_t size() const { return size_; }
  uint64_t room() const { return capacity_ - size_; }
  bool full() const { return size_ == capacity_; }
  std::span<const char> bytes() const { return {data_.get(), static_cast<size_t>(size_)}; }
  // Appends up to room() bytes of `data`; returns how many were taken.
  size_t append(std::span<const char> data);
  void clear() { size_ = 0; }

 private:
  PartBuffer(PartBufferBudget& budget, uint64_t capacity) : budget_(&budget), capacity_(capacity) {}

  PartBufferBudget* budget_;
  uint64_t capacity_;
  uint64_t size_ = 0;
  uint64_t allocated_ = 0;
  std::unique_ptr<char[]> data_;
};

// PartFiller: pulls a body of unknown length into a PartBuffer, one part at a time, hashing in
// flight and refusing more than `max_size` bytes. A part is reported complete only when the
// next byte is in hand or the body ended, so the sender always knows whether it is the last.
class PartFiller {
 public:
  PartFiller(ByteSource& source, uint64_t max_size, bool want_md5, bool want_sha256)
      : source_(source), max_size_(max_size), digest_(want_md5, want_sha256) {}

  // Fills `buffer` (which must be empty) until it is full with more bytes to come, or the body
  // ended. Errc::limit_exceeded past max_size; the source's errors as they are.
  Task<Status> fill(PartBuffer& buffer);
  bool ended() const { return ended_ && pending_.empty(); }
  uint64_t total() const { return total_; }
  StreamDigestResult finish_digests() { return digest_.finish(); }

 private:
  ByteSource& source_;
  uint64_t max_size_;
  StreamDigest digest_;
  std::span<const char> pending_;  // the source's last chunk, past what the buffer took
  uint64_t total_ = 0;
  bool ended_ = false;
};

}  // namespace sluice::s3
