#include "storage/api/request_body_source.h"

namespace sluice {

Task<Result<std::span<const char>>> RequestBodySource::next() {
  auto chunk = co_await ex_.read_body();
  if (!chunk.ok()) {
    if (!error_) error_ = chunk.error();
    co_return std::move(chunk).error();
  }
  bytes_ += chunk->size();
  if (pace_) {
    if (Status s = pace_->on_bytes(bytes_); !s.ok()) {
      error_ = s.error();  // too slow: the client's fault (408), and the rest is not read
      ex_.close_after();
      co_return std::move(s).error();
    }
  }
  co_return *chunk;
}

}  // namespace sluice
