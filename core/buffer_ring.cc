#include "core/buffer_ring.h"

#include <liburing.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/reactor.h"

namespace sluice {

Result<BufferRing*> BufferRing::create(Reactor& reactor, io_uring* ring, unsigned count, unsigned size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0)
    return Error(Errc::invalid_argument, "buffer ring count must be a power of two <= 32768, got " +
                                             std::to_string(count));
  size_t ring_bytes = sizeof(io_uring_buf) * count;
  void* ring_mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_mem == MAP_FAILED) return errno_error("mmap buffer ring", errno);
  void* buf_mem = nullptr;
  if (posix_memalign(&buf_mem, 4096, static_cast<size_t>(count) * size) != 0) {
    munmap(ring_mem, ring_bytes);
    return Error(Errc::io_error, "cannot allocate receive buffers");
  }
  auto* br = static_cast<io_uring_buf_ring*>(ring_mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = count;
  reg.bgid = kGroupId;
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0) {
    munmap(ring_mem, ring_bytes);
    free(buf_mem);
    return errno_error("io_uring_register_buf_ring (needs Linux 5.19+)", rc);
  }
  auto* self = new BufferRing(reactor, ring, br, static_cast<char*>(buf_mem), count, size);
  int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i)
    io_uring_buf_ring_add(br, self->data(static_cast<uint16_t>(i)), size, static_cast<uint16_t>(i), mask,
                          static_cast<int>(i));
  io_uring_buf_ring_advance(br, static_cast<int>(count));
  return self;
}

BufferRing::~BufferRing() {
  reactor_.cancel_timer(*this);
  io_uring_unregister_buf_ring(ring_, kGroupId);
  munmap(br_, sizeof(io_uring_buf) * count_);
  free(base_);
}

void BufferRing::give_back(uint16_t bid) {
  io_uring_buf_ring_add(br_, data(bid), size_, bid, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
  --in_use_;
  serve();
}

void BufferRing::grant(BufferClaimant& c) {
  ++claimed_;
  c.claimed_at_ = reactor_.now();
  armed_.push_back(c);
}

bool BufferRing::try_claim(BufferClaimant& c) {
  if (!has_free() || waiting_ != 0) return false;
  grant(c);
  return true;
}

void BufferRing::wait_for_claim(BufferClaimant& c, bool urgent) {
  if (c.waiting_) return;
  c.waiting_ = true;
  c.queued_urgent_ = urgent;
  ++waiting_;
  ++stats_.waits;
  (urgent ? urgent_ : normal_).push_back(c);
  serve();
}

void BufferRing::stop_waiting(BufferClaimant& c) {
  if (!c.waiting_) return;
  c.waiting_ = false;
  --waiting_;
  c.unlink();
}

void BufferRing::claim_spent(BufferClaimant& c, bool took_buffer) {
  c.unlink();  // from the armed list, unless revoked (already out of it)
  --claimed_;
  if (took_buffer) ++in_use_;
  if (c.revoked_) {
    c.revoked_ = false;
    --revoking_;
  }
  serve();
}

// Revocation runs from the timer, at the top of a reactor turn, never in the middle of
// completions: a claim that looks idle there may have a completion still waiting to be read
// in the same batch, and cancelling it would be wasted (measured: every such cancel found its
// recv already done).
void BufferRing::schedule_revocation() {
  if (armed()) return;
  BufferClaimant* oldest = armed_.front();
  if (!oldest) return;  // every claim is a buffer in use: wait for one to come back
  reactor_.add_timer(*this, std::max(reactor_.now(), oldest->claimed_at_ + kIdleClaim));
}

void BufferRing::serve() {
  while (waiting_ != 0 && has_free()) {
    // Bodies in progress and new requests take turns: bodies alone would keep a connection
    // whose request has not been read yet (a metadata GET, a new upload) waiting for as long
    // as any body has data.
    BufferClaimant* c = nullptr;
    if (!last_urgent_) c = urgent_.pop_front();
    if (!c) c = normal_.pop_front();
    if (!c) c = urgent_.pop_front();
    last_urgent_ = c->queued_urgent_;
    c->waiting_ = false;
    --waiting_;
    grant(*c);
    c->claim_granted();
  }
  if (waiting_ > revoking_) schedule_revocation();
}

// Cancels armed receives that have had no data for kIdleClaim while claimants wait, oldest
// first; re-checks when the oldest will have been idle long enough. Runs from the timer.
void BufferRing::revoke_idle() {
  Deadline now = reactor_.now();
  while (waiting_ > revoking_) {
    BufferClaimant* c = armed_.front();
    if (!c) return;  // every claim is a buffer in use: wait for one to come back
    if (now - c->claimed_at_ < kIdleClaim) {
      schedule_revocation();
      return;
    }
    c->unlink();
    c->revoked_ = true;
    ++revoking_;
    ++stats_.revocations;
    c->claim_revoked();
  }
}

void BufferRing::fire() {
  if (waiting_ > revoking_) revoke_idle();
}

}  // namespace sluice
