// BufferRing: one provided-buffer ring per core that receives fill. Buffers go back to the
// ring when their RecvBuffer handle dies, so receive memory is fixed per core.
//
// Receives are admitted by claims: a receive is armed only while it holds a claim on a free
// buffer (claims + buffers in use <= count), so no receive ever fails for want of a buffer and,
// when buffers are scarce, they go to waiting receivers first come, first served, bodies in
// progress and new requests taking turns. A claim held by a receive that has sat idle while
// others wait is revoked, so idle keep-alive connections cannot hold the ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "core/clock.h"
#include "core/intrusive_list.h"
#include "core/result.h"
#include "core/timer_queue.h"

struct io_uring;
struct io_uring_buf_ring;

namespace sluice {

class Reactor;

// Whatever lends receive buffers: the shared ring, or a stream's private buffer.
class BufferOwner {
 public:
  virtual char* buffer_data(uint16_t id) = 0;
  virtual void give_back(uint16_t id) = 0;

 protected:
  ~BufferOwner() = default;
};

// A receiver on the ring: it waits for a claim, then holds one while its receive is armed.
class BufferClaimant : public IntrusiveListNode {
 public:
  // A buffer is reserved for this claimant: arm the receive now.
  virtual void claim_granted() = 0;
  // The armed receive has been idle while others wait: cancel it; the claim is released when
  // its completion comes (claim_spent).
  virtual void claim_revoked() = 0;

  bool waiting_for_claim() const { return waiting_; }

 protected:
  ~BufferClaimant() = default;

 private:
  friend class BufferRing;
  Deadline claimed_at_{};
  bool waiting_ = false;
  bool queued_urgent_ = false;
  bool revoked_ = false;
};

// Counters an operator needs to see buffer starvation (a connection can wait for a buffer but
// never fails for want of one).
struct BufferRingStats {
  uint64_t waits = 0;        // receives that had to queue for a free buffer
  uint64_t revocations = 0;  // idle claims taken back for a waiting receiver
};

class BufferRing final : public BufferOwner, private TimerEntry {
 public:
  static constexpr uint16_t kGroupId = 0;
  // How long an armed receive may sit without data while others wait for a buffer.
  static constexpr Duration kIdleClaim = std::chrono::milliseconds(20);

  // count must be a power of two (<= 32768).
  static Result<BufferRing*> create(Reactor& reactor, io_uring* ring, unsigned count, unsigned size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  char* data(uint16_t bid) { return base_ + static_cast<size_t>(bid) * size_; }
  char* buffer_data(uint16_t bid) override { return data(bid); }
  unsigned buffer_size() const { return size_; }
  unsigned count() const { return count_; }
  unsigned in_use() const { return in_use_; }
  unsigned claimed() const { return claimed_; }
  unsigned waiting() const { return waiting_; }
  const BufferRingStats& stats() const { return stats_; }
  void give_back(uint16_t bid) override;

  // Claims a buffer for `c` if one is free and nobody is waiting for one.
  bool try_claim(BufferClaimant& c);
  // Queues `c` for the next free buffer (urgent and other claimants alternate); claim_granted()
  // is called then.
  void wait_for_claim(BufferClaimant& c, bool urgent);
  // Takes `c` out of the queue (it is closing).
  void stop_waiting(BufferClaimant& c);
  // The armed receive of `c` completed; `took_buffer` if it filled one (now in use).
  void claim_spent(BufferClaimant& c, bool took_buffer);

 private:
  BufferRing(Reactor& reactor, io_uring* ring, io_uring_buf_ring* br, char* base, unsigned count, unsigned size)
      : reactor_(reactor), ring_(ring), br_(br), base_(base), count_(count), size_(size) {}
  bool has_free() const { return claimed_ + in_use_ < count_; }
  void grant(BufferClaimant& c);
  void serve();
  void schedule_revocation();
  void revoke_idle();
  void fire() override;

  Reactor& reactor_;
  io_uring* ring_;
  io_uring_buf_ring* br_;
  char* base_;
  unsigned count_;
  unsigned size_;
  unsigned in_use_ = 0;
  unsigned claimed_ = 0;   // armed receives, each may fill one buffer
  unsigned waiting_ = 0;   // claimants queued
  unsigned revoking_ = 0;  // claims being cancelled
  bool last_urgent_ = false;
  BufferRingStats stats_;
  IntrusiveList<BufferClaimant> armed_;  // oldest claim first
  IntrusiveList<BufferClaimant> urgent_;
  IntrusiveList<BufferClaimant> normal_;
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
