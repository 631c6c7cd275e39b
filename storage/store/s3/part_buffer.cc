#include "storage/store/s3/part_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice::s3 {

namespace {
constexpr uint64_t kFirstAllocation = 64 * 1024;
}

Result<PartBuffer> PartBuffer::take(PartBufferBudget& budget, uint64_t capacity) {
  if (capacity > budget.cap_ || budget.used_ > budget.cap_ - capacity) {
    return Error(Errc::unavailable, "upload buffer budget exhausted (" + std::to_string(budget.used_) + " of " +
                                        std::to_string(budget.cap_) + " bytes in use, " + std::to_string(capacity) +
                                        " more needed): retry later, or send Content-Length");
  }
  budget.used_ += capacity;
  return PartBuffer(budget, capacity);
}

PartBuffer::~PartBuffer() {
  if (budget_) budget_->used_ -= capacity_;
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
