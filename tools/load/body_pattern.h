// BodyPattern: the 64 KiB of deterministic bytes every generated file is made of (byte i of a
// file is pattern[i % 64 KiB]), so no file is ever held in memory and a read-back can be
// checked against it piece by piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::load {

class BodyPattern {
 public:
  static constexpr size_t kSize = 64 * 1024;

  // The process-wide pattern (built once, read-only afterwards: safe from every thread).
  static const BodyPattern& instance();

  std::span<const char> bytes() const { return {data_, kSize}; }
  const char* data() const { return data_; }
  char at(uint64_t offset) const { return data_[offset % kSize]; }
  // True when `piece` equals the file's bytes starting at `offset`.
  bool matches(uint64_t offset, std::span<const char> piece) const;
  // FNV-1a 64 of the first `size` bytes of a file: what the report prints for a verified file.
  uint64_t checksum(uint64_t size) const;

 private:
  BodyPattern();
  alignas(64) char data_[kSize];
};

// Checks a downloaded file against the pattern as pieces arrive.
class PatternVerifier {
 public:
  explicit PatternVerifier(uint64_t expected_size) : expected_(expected_size) {}
  void feed(std::span<const char> piece);
  uint64_t received() const { return offset_; }
  // Length equal to the expected size and every byte equal to the pattern.
  bool ok() const { return match_ && offset_ == expected_; }
  bool content_matches() const { return match_; }

 private:
  uint64_t expected_;
  uint64_t offset_ = 0;
  bool match_ = true;
};

}  // namespace sluice::load
