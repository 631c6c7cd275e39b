// BodyCursor: reads an ObjectStore ByteSource as consecutive HTTP request bodies of fixed
// lengths (one PUT, or the parts of a multipart upload), hashing bytes in flight. A chunk may
// straddle two parts: its rest waits for the next slice, so no byte is copied or buffered.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"
#include "core/task.h"
#include "http/client_connection.h"
#include "storage/store/object_store.h"
#include "storage/store/stream_digest.h"

namespace sluice::s3 {

class BodyCursor {
 public:
  // `total` is the number of bytes the source must yield, no more and no fewer.
  BodyCursor(ByteSource& source, uint64_t total, bool want_md5, bool want_sha256)
      : source_(source), total_(total), digest_(want_md5, want_sha256) {}

  // The next `length` bytes as a request body. The slice that reaches `total` also checks
  // that the source ends there, before the HTTP client sends its last byte.
  class Slice final : public ClientBodySource {
   public:
    Slice(BodyCursor& cursor, uint64_t length) : cursor_(cursor), remaining_(length) {}
    Task<Result<std::span<const char>>> next() override;
    // True once this slice handed out anything: its request can no longer be replayed.
    bool started() const { return started_; }

   private:
    BodyCursor& cursor_;
    uint64_t remaining_;
    bool started_ = false;
  };
  Slice slice(uint64_t length) { return Slice(*this, length); }

  uint64_t delivered() const { return delivered_; }
  // Ends the digests (after the last byte): hex MD5 / SHA-256, empty when not asked for.
  StreamDigestResult finish_digests() { return digest_.finish(); }

 private:
  Task<Result<std::span<const char>>> take(uint64_t max);
  Task<Status> expect_end();

  ByteSource& source_;
  uint64_t total_;
  StreamDigest digest_;
  std::span<const char> pending_;  // the unsent rest of the source's last chunk
  uint64_t pulled_ = 0;
  uint64_t delivered_ = 0;
};

}  // namespace sluice::s3
