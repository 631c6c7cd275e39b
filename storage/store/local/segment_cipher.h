// SegmentCipher: AES-256-GCM over one object's body in fixed-size segments, each sealed on its
// own so a Range read decrypts only the segments it touches. Segment i uses the nonce
// base_nonce XOR i and authenticates (i, final?) as AAD: a reordered, dropped or truncated
// segment fails its tag like a flipped byte does. On disk each segment is its ciphertext followed
// by its 16-byte tag; every body has at least one segment (an empty body: one empty final one).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "core/result.h"
#include "storage/store/local/master_key_ring.h"

struct evp_cipher_ctx_st;

namespace sluice::local {

inline constexpr size_t kSegmentPlainBytes = 64 * 1024;
inline constexpr size_t kSegmentTagBytes = 16;
inline constexpr size_t kSegmentNonceBytes = 12;

using SegmentNonce = std::array<unsigned char, kSegmentNonceBytes>;

// How many segments a body of `plain_size` bytes has, and how many bytes they take on disk.
uint64_t segment_count(uint64_t plain_size);
uint64_t sealed_body_bytes(uint64_t plain_size);

class SegmentCipher {
 public:
  SegmentCipher(const DataKey& key, const SegmentNonce& base_nonce);
  ~SegmentCipher();
  SegmentCipher(const SegmentCipher&) = delete;
  SegmentCipher& operator=(const SegmentCipher&) = delete;

  // Encrypts `data` in place and writes its tag.
  Status seal(uint64_t index, bool final, std::span<char> data, std::span<char, kSegmentTagBytes> tag);
  // Decrypts in place; Errc::internal when the tag does not match (tampered, truncated, reordered).
  Status open(uint64_t index, bool final, std::span<char> data, std::span<const char, kSegmentTagBytes> tag);

 private:
  Status run(bool encrypt, uint64_t index, bool final, std::span<char> data);

  DataKey key_;
  SegmentNonce base_nonce_;
  evp_cipher_ctx_st* ctx_;
};

}  // namespace sluice::local
