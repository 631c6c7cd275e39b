// RequestBody: what one request sends after its head, as a prefix, N bytes of the pattern and a
// suffix (multipart framing or nothing), with the total known before the first byte goes out.
// BodyCursor walks it in batches of iovecs pointing at the strings and the shared pattern.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::load {

struct RequestBody {
  std::string prefix;
  uint64_t pattern_bytes = 0;  // file bytes, from offset pattern_offset of the file
  uint64_t pattern_offset = 0;  // where in the file these bytes start (multipart parts)
  std::string suffix;

  uint64_t size() const { return prefix.size() + pattern_bytes + suffix.size(); }
};

class BodyCursor {
 public:
  // `head` (may be empty) goes out before the body, in the same first batch.
  BodyCursor(const std::string& head, const RequestBody& body);

  bool done() const { return sent_ == total_; }
  uint64_t remaining() const { return total_ - sent_; }
  // Replaces `out` with iovecs covering the next at most `max_bytes` unsent bytes.
  void next_batch(size_t max_bytes, std::vector<iovec>& out) const;
  // Marks `n` bytes (the whole of the last batch, as send_all sends all) as sent.
  void advance(uint64_t n) { sent_ += n; }

 private:
  const std::string& head_;
  const RequestBody& body_;
  uint64_t total_;
  uint64_t sent_ = 0;
};

}  // namespace sluice::load
