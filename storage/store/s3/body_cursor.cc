#include "storage/store/s3/body_cursor.h"

#include <algorithm>

namespace sluice::s3 {

Task<Result<std::span<const char>>> BodyCursor::take(uint64_t max) {
  if (pending_.empty()) {
    auto chunk = co_await source_.next();
    if (!chunk) co_return std::move(chunk).error();
    if (chunk->empty()) co_return std::span<const char>();  // ended early: the client reports it
    pulled_ += chunk->size();
    if (pulled_ > total_) {
      co_return Error(Errc::invalid_argument,
                      "upload body has more bytes than its declared size of " + std::to_string(total_));
    }
    digest_.update(*chunk);
    pending_ = *chunk;
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(max, pending_.size()));
  auto out = pending_.first(n);
  pending_ = pending_.subspan(n);
  delivered_ += n;
  co_return out;
}

Task<Status> BodyCursor::expect_end() {
  if (!pending_.empty()) {
    co_return Error(Errc::invalid_argument,
                    "upload body has more bytes than its declared size of " + std::to_string(total_));
  }
  auto chunk = co_await source_.next();
  if (!chunk) co_return std::move(chunk).error();
  if (!chunk->empty()) {
    co_return Error(Errc::invalid_argument,
                    "upload body has more bytes than its declared size of " + std::to_string(total_));
  }
  co_return Status();
}

Task<Result<std::span<const char>>> BodyCursor::Slice::next() {
  started_ = true;
  if (remaining_ == 0) {
    // The HTTP client asks once more after the last byte (which it holds back): the final
    // slice is where a source that is too long gets caught.
    if (cursor_.delivered_ == cursor_.total_) {
      auto st = co_await cursor_.expect_end();
      if (!st) co_return std::move(st).error();
    }
    co_return std::span<const char>();
  }
  auto out = co_await cursor_.take(remaining_);
  if (out) remaining_ -= out->size();
  co_return out;
}

}  // namespace sluice::s3
