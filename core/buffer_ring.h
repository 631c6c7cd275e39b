// BufferRing: one provided-buffer ring per core that multishot receives fill. Buffers go back
// to the ring when their RecvBuffer handle dies, so receive memory is fixed per core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "core/intrusive_list.h"
#include "core/result.h"

struct io_uring;
struct io_uring_buf_ring;

namespace sluice {

// Whatever lends receive buffers: the shared ring, or a stream's private buffer.
class BufferOwner {
 public:
  virtual char* buffer_data(uint16_t id) = 0;
  virtual void give_back(uint16_t id) = 0;

 protected:
  ~BufferOwner() = default;
};

// Something waiting for buffers to come back to the ring (a receive that hit ENOBUFS).
class BufferWaiter : public IntrusiveListNode {
 public:
  virtual void buffers_available() = 0;

 protected:
  ~BufferWaiter() = default;
};

class BufferRing final : public BufferOwner {
 public:
  static constexpr uint16_t kGroupId = 0;

  // count must be a power of two (<= 32768).
  static Result<BufferRing*> create(io_uring* ring, unsigned count, unsigned size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  char* data(uint16_t bid) { return base_ + static_cast<size_t>(bid) * size_; }
  char* buffer_data(uint16_t bid) override { return data(bid); }
  unsigned buffer_size() const { return size_; }
  unsigned count() const { return count_; }
  unsigned in_use() const { return in_use_; }
  void taken() { ++in_use_; }
  void give_back(uint16_t bid) override;
  void wait_for_buffers(BufferWaiter& w) { if (!w.linked()) waiters_.push_back(w); }

 private:
  BufferRing(io_uring* ring, io_uring_buf_ring* br, char* base, unsigned count, unsigned size)
      : ring_(ring), br_(br), base_(base), count_(count), size_(size) {}
  io_uring* ring_;
  io_uring_buf_ring* br_;
  char* base_;
  unsigned count_;
  unsigned size_;
  unsigned in_use_ = 0;
  IntrusiveList<BufferWaiter> waiters_;
};

// RecvBuffer: a received chunk that owns its buffer (from the ring or a stream's private one)
// until destroyed; consume() moves the start forward as a parser eats bytes.
class RecvBuffer {
 public:
  RecvBuffer() = default;
  RecvBuffer(BufferOwner* ring, uint16_t bid, uint32_t len) : ring_(ring), bid_(bid), len_(len) {}
  RecvBuffer(RecvBuffer&& o) noexcept
      : ring_(std::exchange(o.ring_, nullptr)), bid_(o.bid_), len_(o.len_), off_(o.off_) {}
  RecvBuffer& operator=(RecvBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ring_ = std::exchange(o.ring_, nullptr);
      bid_ = o.bid_;
      len_ = o.len_;
      off_ = o.off_;
    }
    return *this;
  }
  ~RecvBuffer() { release(); }

  std::span<const char> bytes() const {
    return ring_ ? std::span<const char>(ring_->buffer_data(bid_) + off_, len_ - off_) : std::span<const char>();
  }
  size_t size() const { return ring_ ? len_ - off_ : 0; }
  bool empty() const { return size() == 0; }
  void consume(size_t n) { off_ += static_cast<uint32_t>(n); }
  void release() {
    if (ring_) std::exchange(ring_, nullptr)->give_back(bid_);
  }

 private:
  BufferOwner* ring_ = nullptr;
  uint16_t bid_ = 0;
  uint32_t len_ = 0;
  uint32_t off_ = 0;
};

}  // namespace sluice
