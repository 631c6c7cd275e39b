#include "storage/service/auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <optional>

namespace sluice::auth {
namespace {

constexpr std::string_view kPrefixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kSha256Bytes = 32;

using Digest = std::array<unsigned char, kSha256Bytes>;

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

// Uniform characters from `alphabet`: random bytes past the largest multiple of its size are
// rejected so no character is favoured by the modulo.
bool random_chars(std::string_view alphabet, size_t count, std::string* out) {
  const unsigned limit = 256 - 256 % alphabet.size();
  std::array<unsigned char, 64> pool{};
  size_t used = pool.size();
  while (out->size() < count) {
    if (used == pool.size()) {
      if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) return false;
      used = 0;
    }
    unsigned byte = pool[used++];
    if (byte < limit) out->push_back(alphabet[byte % alphabet.size()]);
  }
  OPENSSL_cleanse(pool.data(), pool.size());
  return true;
}

bool all_in(std::string_view text, std::string_view alphabet) {
  return text.find_first_not_of(alphabet) == std::string_view::npos;
}

std::optional<Digest> from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSha256Bytes) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Digest out{};
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace

Result<GeneratedApiKey> generate_api_key() {
  GeneratedApiKey key;
  std::string secret;
  if (!random_chars(kPrefixAlphabet, kApiKeyPrefixChars, &key.prefix) ||
      !random_chars(kSecretAlphabet, kApiKeySecretChars, &secret)) {
    return Error(Errc::internal, "RAND_bytes failed");
  }
  key.full_key.reserve(kApiKeyChars);
  key.full_key.append(kApiKeyMarker).append(key.prefix).append("_").append(secret);
  key.secret_hash = hash_api_key_secret(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

Result<ParsedApiKey> parse_api_key(std::string_view key) {
  const size_t secret_at = kApiKeyMarker.size() + kApiKeyPrefixChars + 1;
  if (key.size() != kApiKeyChars || key.substr(0, kApiKeyMarker.size()) != kApiKeyMarker ||
      key[secret_at - 1] != '_') {
    return Error(Errc::unauthenticated, "malformed api key");
  }
  std::string_view prefix = key.substr(kApiKeyMarker.size(), kApiKeyPrefixChars);
  std::string_view secret = key.substr(secret_at);
  if (!all_in(prefix, kPrefixAlphabet) || !all_in(secret, kSecretAlphabet)) {
    return Error(Errc::unauthenticated, "malformed api key");
  }
  return ParsedApiKey{std::string(prefix), std::string(secret)};
}

std::string hash_api_key_secret(std::string_view secret) {
  static constexpr char kHex[] = "0123456789abcdef";
  Digest digest = sha256(secret);
  std::string hex;
  hex.reserve(2 * digest.size());
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

bool api_key_matches(std::string_view secret, std::string_view stored_hash_hex) {
  auto stored = from_hex(stored_hash_hex);
  if (!stored) return false;
  Digest digest = sha256(secret);
  return CRYPTO_memcmp(digest.data(), stored->data(), digest.size()) == 0;
}

}  // namespace sluice::auth
