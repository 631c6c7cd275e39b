// ByteCount: a byte size that came from a client (Content-Length, a multipart session's size or
// part size), range-checked once where it enters. It only holds values in [0, kMax], far below
// int64's limit, so no later cast to bigint, sum of two, or "bound + allowance" can wrap (the
// hole of issue 11: a 2^64 - 9 MiB Content-Length became a negative reservation).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

class ByteCount {
 public:
  // 4 EiB: beyond any store (S3 objects end at 5 TiB); two sums of it still fit in int64.
  static constexpr uint64_t kMax = uint64_t{1} << 62;

  // Errc::limit_exceeded naming `what` when `bytes` is above kMax.
  static Result<ByteCount> from_client(uint64_t bytes, std::string_view what) {
    if (bytes > kMax)
      return Error(Errc::limit_exceeded, std::string(what) + " of " + std::to_string(bytes) +
                                             " bytes is beyond any size this service stores");
    return ByteCount(bytes);
  }
  // For sizes Sluice produced itself and knows to be in range (tests, constants).
  static constexpr ByteCount trusted(uint64_t bytes) { return ByteCount(bytes > kMax ? kMax : bytes); }

  constexpr uint64_t value() const { return bytes_; }
  constexpr int64_t as_int64() const { return static_cast<int64_t>(bytes_); }
  friend constexpr bool operator==(ByteCount a, ByteCount b) = default;

 private:
  constexpr explicit ByteCount(uint64_t bytes) : bytes_(bytes) {}
  uint64_t bytes_ = 0;
};

}  // namespace sluice
