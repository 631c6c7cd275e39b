// Cuts a fuzz input into pieces whose lengths come from one control byte, so the fuzzer explores
// piece edges as well as content: incremental parsers must give the same result for the same
// bytes however they arrive. Control 0 means one piece (the whole input).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace sluice::fuzz {

class Pieces {
 public:
  explicit Pieces(uint8_t control)
      : max_piece_(control == 0 ? 0 : size_t{1} << (control & 7)),  // 2 .. 256 bytes
        state_(0x9E3779B9u ^ (static_cast<uint32_t>(control) * 0x85EBCA6Bu)) {}

  // The length of the next piece, 1..remaining (remaining > 0).
  size_t next(size_t remaining) {
    if (max_piece_ == 0) return remaining;
    state_ ^= state_ << 13;  // xorshift32: deterministic, so a crash reproduces from its input
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return std::min(remaining, size_t{1} + state_ % max_piece_);
  }

 private:
  size_t max_piece_;
  uint32_t state_;
};

}  // namespace sluice::fuzz
