// StreamDigest: MD5 and/or SHA-256 of a byte stream computed incrementally, chunk by chunk, so a
// body is hashed in flight without being held. Used by the object stores for etags and checksums.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace sluice {

struct StreamDigestResult {
  std::array<unsigned char, 16> md5{};     // raw MD5 (zeroes when not computed)
  std::array<unsigned char, 32> sha256{};  // raw SHA-256 (zeroes when not computed)
  std::string md5_hex;                     // lower-case hex; empty when not computed
  std::string sha256_hex;                  // lower-case hex; empty when not computed
};

class StreamDigest {
 public:
  StreamDigest(bool md5, bool sha256);
  ~StreamDigest();
  StreamDigest(StreamDigest&&) noexcept;
  StreamDigest& operator=(StreamDigest&&) noexcept;

  bool md5_enabled() const { return md5_ != nullptr; }
  bool sha256_enabled() const { return sha256_ != nullptr; }

  void update(std::span<const char> data);
  // Finalises both digests; the object must not be updated afterwards.
  StreamDigestResult finish();

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> md5_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> sha256_;
};

// Lower-case hex of raw bytes.
std::string to_hex(std::span<const unsigned char> bytes);
// Decodes lower- or upper-case hex into `out` (which must be exactly half the length); false on
// a bad character or length.
bool from_hex(std::string_view hex, std::span<unsigned char> out);

}  // namespace sluice
