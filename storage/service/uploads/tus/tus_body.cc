#include "storage/service/uploads/tus/tus_body.h"

#include <algorithm>

namespace sluice {

Task<Result<std::span<const char>>> TusBody::take(uint64_t max) {
  if (max == 0) co_return std::span<const char>();
  if (pending_.empty()) {
    auto next = co_await source_.next();
    if (!next.ok()) co_return std::move(next).error();
    pending_ = *next;
    if (pending_.empty()) co_return std::span<const char>();
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(max, pending_.size()));
  std::span<const char> out = pending_.first(n);
  pending_ = pending_.subspan(n);
  if (hasher_) hasher_->update(out);
  taken_ += n;
  co_return out;
}

}  // namespace sluice
