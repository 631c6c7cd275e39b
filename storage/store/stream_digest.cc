#include "storage/store/stream_digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace sluice {

namespace {

// A digest context failing to initialise means OpenSSL is misconfigured (e.g. MD5 disabled by
// a FIPS provider): a start-up-class failure, not a request error.
EVP_MD_CTX* new_ctx(const EVP_MD* md) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) std::abort();
  return ctx;
}

}  // namespace

void StreamDigest::CtxFree::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

StreamDigest::StreamDigest(bool md5, bool sha256) {
  if (md5) md5_.reset(new_ctx(EVP_md5()));
  if (sha256) sha256_.reset(new_ctx(EVP_sha256()));
}

StreamDigest::~StreamDigest() = default;
StreamDigest::StreamDigest(StreamDigest&&) noexcept = default;
StreamDigest& StreamDigest::operator=(StreamDigest&&) noexcept = default;

void StreamDigest::update(std::span<const char> data) {
  if (data.empty()) return;
  if (md5_) EVP_DigestUpdate(md5_.get(), data.data(), data.size());
  if (sha256_) EVP_DigestUpdate(sha256_.get(), data.data(), data.size());
}

StreamDigestResult StreamDigest::finish() {
  StreamDigestResult r;
  unsigned int len = 0;
  if (md5_) {
    EVP_DigestFinal_ex(md5_.get(), r.md5.data(), &len);
    r.md5_hex = to_hex(r.md5);
    md5_.reset();
  }
  if (sha256_) {
    EVP_DigestFinal_ex(sha256_.get(), r.sha256.data(), &len);
    r.sha256_hex = to_hex(r.sha256);
    sha256_.reset();
  }
  return r;
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

bool from_hex(std::string_view hex, std::span<unsigned char> out) {
  if (hex.size() != out.size() * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace sluice
