#include "storage/service/uploads/checksum_header.h"

#include <openssl/evp.h>

#include <vector>

namespace sluice {

namespace {

std::optional<std::string> base64_to_hex(std::string_view b64, size_t expected_bytes) {
  if (b64.size() != ((expected_bytes + 2) / 3) * 4) return std::nullopt;
  std::vector<unsigned char> out(b64.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  if (static_cast<size_t>(n) - pad != expected_bytes) return std::nullopt;
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < expected_bytes; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::optional<std::string> lower_hex(std::string_view s, size_t expected_bytes) {
  if (s.size() != expected_bytes * 2) return std::nullopt;
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    out += c;
  }
  return out;
}

}  // namespace

Result<ExpectedChecksums> parse_checksum_headers(std::string_view content_md5, std::string_view sha256) {
  ExpectedChecksums e;
  if (!content_md5.empty()) {
    e.md5_hex = base64_to_hex(content_md5, 16);
    if (!e.md5_hex) return Error(Errc::invalid_argument, "Content-MD5 must be the base64 of a 16-byte MD5 digest");
  }
  if (!sha256.empty()) {
    e.sha256_hex = lower_hex(sha256, 32);
    if (!e.sha256_hex) e.sha256_hex = base64_to_hex(sha256, 32);
    if (!e.sha256_hex)
      return Error(Errc::invalid_argument, "X-Checksum-SHA256 must be a SHA-256 digest in hex (64 chars) or base64");
  }
  return e;
}

}  // namespace sluice
