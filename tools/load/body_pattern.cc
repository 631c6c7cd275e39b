#include "tools/load/body_pattern.h"

#include <algorithm>
#include <cstring>

namespace sluice::load {

BodyPattern::BodyPattern() {
  // xorshift64*: printable-looking noise that no compressor or dedup layer can shortcut.
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < kSize; i += 8) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    uint64_t v = x * 0x2545F4914F6CDD1Dull;
    std::memcpy(data_ + i, &v, 8);
  }
}

const BodyPattern& BodyPattern::instance() {
  static const BodyPattern pattern;
  return pattern;
}

bool BodyPattern::matches(uint64_t offset, std::span<const char> piece) const {
  while (!piece.empty()) {
    size_t at = static_cast<size_t>(offset % kSize);
    size_t n = std::min(piece.size(), kSize - at);
    if (std::memcmp(piece.data(), data_ + at, n) != 0) return false;
    piece = piece.subspan(n);
    offset += n;
  }
  return true;
}

uint64_t BodyPattern::checksum(uint64_t size) const {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data_[i % kSize]);
    h *= 0x100000001b3ull;
  }
  return h;
}

void PatternVerifier::feed(std::span<const char> piece) {
  if (match_ && offset_ + piece.size() <= expected_) {
    match_ = BodyPattern::instance().matches(offset_, piece);
  } else {
    match_ = false;  // more bytes than the file has
  }
  offset_ += piece.size();
}

}  // namespace sluice::load
