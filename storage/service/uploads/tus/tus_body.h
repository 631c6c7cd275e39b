// TusBody: one PATCH body, cut into the pieces the store writes (parts and tail segments) by
// position in the whole file. A piece takes at most what it needs; the rest of the body's last
// chunk waits for the next piece (the chunk stays valid: the body is not read meanwhile). The
// bytes are hashed as they pass when the client sent Upload-Checksum.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "storage/service/uploads/tus/tus_checksum.h"
#include "storage/store/object_store.h"

namespace sluice {

class TusBody {
 public:
  TusBody(ByteSource& source, std::optional<TusChecksumHasher> hasher)
      : source_(source), hasher_(std::move(hasher)) {}

  // Up to `max` next bytes (valid until the following call); empty when the body ended.
  Task<Result<std::span<const char>>> take(uint64_t max);
  uint64_t taken() const { return taken_; }
  // The digest of every byte taken (empty without a checksum).
  std::string finish_digest() { return hasher_ ? hasher_->finish() : std::string(); }

 private:
  ByteSource& source_;
  std::optional<TusChecksumHasher> hasher_;
  std::span<const char> pending_;
  uint64_t taken_ = 0;
};

}  // namespace sluice
