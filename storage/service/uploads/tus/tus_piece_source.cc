#include "storage/service/uploads/tus/tus_piece_source.h"

#include <algorithm>

namespace sluice {

namespace {

// Appends what a ranged GET delivers to the window.
class WindowSink final : public ByteSink {
 public:
  explicit WindowSink(std::string& window) : window_(window) {}
  Task<Status> begin(uint64_t, uint64_t, const std::string&, const std::string&) override { co_return Status(); }
  Task<Status> write(std::span<const char> data) override {
    window_.append(data.data(), data.size());
    co_return Status();
  }

 private:
  std::string& window_;
};

}  // namespace

Task<Result<std::span<const char>>> TusPieceSource::next() {
  while (segment_ < replay_.size()) {
    const TusSegment& seg = replay_[segment_];
    if (segment_done_ >= seg.size) {
      ++segment_;
      segment_done_ = 0;
      continue;
    }
    uint64_t n = std::min<uint64_t>(kTusReplayWindow, seg.size - segment_done_);
    window_.clear();
    window_.reserve(static_cast<size_t>(kTusReplayWindow));
    WindowSink sink(window_);
    ByteRange range{segment_done_, segment_done_ + n - 1};
    auto got = co_await store_.get(seg.key, range, sink);
    if (!got.ok()) co_return std::move(got).error();
    if (window_.size() != n)
      co_return Error(Errc::internal, "tail segment " + seg.key + " is shorter than recorded");
    segment_done_ += n;
    co_return std::span<const char>(window_.data(), window_.size());
  }
  if (body_left_ == 0) co_return std::span<const char>();
  auto piece = co_await body_.take(body_left_);
  if (!piece.ok()) co_return std::move(piece).error();
  if (piece->empty()) co_return Error(Errc::closed, "the PATCH body ended early");
  body_left_ -= piece->size();
  co_return *piece;
}

}  // namespace sluice
