// tus checksum extension: "Upload-Checksum: <algorithm> <base64 digest>" of one PATCH body,
// computed in flight (sha1, which the spec requires, md5 and sha256) and compared at its end.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "core/result.h"

namespace sluice {

// Tus-Checksum-Algorithm's value.
inline constexpr std::string_view kTusChecksumAlgorithms = "sha1,md5,sha256";

struct TusChecksum {
  std::string algorithm;  // sha1, md5 or sha256
  std::string digest;     // raw bytes
};

// Errc::invalid_argument for a malformed header (an unknown algorithm too).
Result<TusChecksum> parse_upload_checksum(std::string_view header);

// The running digest of a body for one algorithm.
class TusChecksumHasher {
 public:
  explicit TusChecksumHasher(const std::string& algorithm);
  ~TusChecksumHasher();
  TusChecksumHasher(TusChecksumHasher&&) noexcept;
  TusChecksumHasher& operator=(TusChecksumHasher&&) = delete;

  void update(std::span<const char> data);
  // The raw digest; the hasher takes no more bytes afterwards.
  std::string finish();

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

}  // namespace sluice
