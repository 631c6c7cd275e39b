#include "storage/store/local/segment_cipher.h"

#include <openssl/evp.h>

#include <cstring>

namespace sluice::local {

uint64_t segment_count(uint64_t plain_size) {
  return plain_size == 0 ? 1 : (plain_size + kSegmentPlainBytes - 1) / kSegmentPlainBytes;
}

uint64_t sealed_body_bytes(uint64_t plain_size) { return plain_size + segment_count(plain_size) * kSegmentTagBytes; }

SegmentCipher::SegmentCipher(const DataKey& key, const SegmentNonce& base_nonce)
    : key_(key), base_nonce_(base_nonce), ctx_(EVP_CIPHER_CTX_new()) {}

SegmentCipher::~SegmentCipher() {
  EVP_CIPHER_CTX_free(ctx_);
  OPENSSL_cleanse(key_.data(), key_.size());
}

Status SegmentCipher::run(bool encrypt, uint64_t index, bool final, std::span<char> data) {
  if (!ctx_) return Error(Errc::internal, "no memory for an AES-GCM context");
  SegmentNonce nonce = base_nonce_;
  unsigned char aad[9];
  for (int i = 0; i < 8; ++i) {
    auto b = static_cast<unsigned char>(index >> (8 * i));
    nonce[kSegmentNonceBytes - 1 - i] ^= b;
    aad[i] = b;
  }
  aad[8] = final ? 1 : 0;
  // The cipher and key are set once per segment: a context reused across segments keeps no
  // state that matters, and re-keying costs far less than the segment's 64 KiB.
  if (EVP_CipherInit_ex(ctx_, EVP_aes_256_gcm(), nullptr, key_.data(), nonce.data(), encrypt ? 1 : 0) != 1)
    return Error(Errc::internal, "AES-GCM init failed");
  int n = 0;
  if (EVP_CipherUpdate(ctx_, nullptr, &n, aad, sizeof aad) != 1) return Error(Errc::internal, "AES-GCM AAD failed");
  auto* p = reinterpret_cast<unsigned char*>(data.data());
  if (!data.empty() && EVP_CipherUpdate(ctx_, p, &n, p, static_cast<int>(data.size())) != 1)
    return Error(Errc::internal, "AES-GCM update failed");
  return {};
}

Status SegmentCipher::seal(uint64_t index, bool final, std::span<char> data, std::span<char, kSegmentTagBytes> tag) {
  if (Status s = run(true, index, final, data); !s.ok()) return s;
  int n = 0;
  unsigned char end[16];
  if (EVP_EncryptFinal_ex(ctx_, end, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, kSegmentTagBytes, tag.data()) != 1)
    return Error(Errc::internal, "AES-GCM seal failed");
  return {};
}

Status SegmentCipher::open(uint64_t index, bool final, std::span<char> data,
                           std::span<const char, kSegmentTagBytes> tag) {
  if (Status s = run(false, index, final, data); !s.ok()) return s;
  char want[kSegmentTagBytes];
  std::memcpy(want, tag.data(), sizeof want);
  int n = 0;
  unsigned char end[16];
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, kSegmentTagBytes, want) != 1 ||
      EVP_DecryptFinal_ex(ctx_, end, &n) != 1)
    return Error(Errc::internal, "encrypted segment " + std::to_string(index) +
                                     " fails authentication (the object file is tampered with or truncated)");
  return {};
}

}  // namespace sluice::local
