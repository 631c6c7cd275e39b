// TusPieceSource: the bytes of one piece the store writes for a tus PATCH (a part, or a tail
// segment): first the stored tail segments the piece begins with, replayed with ranged GETs
// through one fixed window (kTusReplayWindow), then the next bytes of the PATCH body. Memory is
// that window, whatever the part size; no byte touches local disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/service/uploads/tus/tus_body.h"
#include "storage/store/object_store.h"

namespace sluice {

inline constexpr uint64_t kTusReplayWindow = 1 << 20;

struct TusSegment {
  std::string key;
  uint64_t size = 0;
};

class TusPieceSource final : public ByteSource {
 public:
  TusPieceSource(ObjectStore& store, std::vector<TusSegment> replay, TusBody& body, uint64_t body_bytes)
      : store_(store), replay_(std::move(replay)), body_(body), body_left_(body_bytes) {}
  Task<Result<std::span<const char>>> next() override;

 private:
  ObjectStore& store_;
  std::vector<TusSegment> replay_;
  size_t segment_ = 0;
  uint64_t segment_done_ = 0;
  std::string window_;
  TusBody& body_;
  uint64_t body_left_;
};

}  // namespace sluice
