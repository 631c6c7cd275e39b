// API keys (`sk_<prefix>_<secret>`): generation, parsing, and the hash stored in
// sluice.api_keys — the prefix finds the row, the secret is only ever kept as SHA-256.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::auth {

inline constexpr std::string_view kApiKeyMarker = "sk_";
inline constexpr size_t kApiKeyPrefixChars = 8;   // [a-z0-9]
inline constexpr size_t kApiKeySecretChars = 32;  // base62, ~190 bits
inline constexpr size_t kApiKeyChars =
    kApiKeyMarker.size() + kApiKeyPrefixChars + 1 + kApiKeySecretChars;

struct GeneratedApiKey {
  std::string full_key;     // shown to the user once, never stored
  std::string prefix;
  std::string secret_hash;  // lower-case hex SHA-256 of the secret
};

struct ParsedApiKey {
  std::string prefix;
  std::string secret;
};

// A new key from the CSPRNG; fails only if OpenSSL's RAND_bytes does.
Result<GeneratedApiKey> generate_api_key();

// Splits a presented key; Errc::unauthenticated "malformed api key" unless it has exactly the
// shape generate_api_key produces.
Result<ParsedApiKey> parse_api_key(std::string_view key);

// Lower-case hex SHA-256 of a secret, as stored in sluice.api_keys.secret_hash.
std::string hash_api_key_secret(std::string_view secret);

// Whether `secret` hashes to `stored_hash_hex`, comparing in constant time.
bool api_key_matches(std::string_view secret, std::string_view stored_hash_hex);

}  // namespace sluice::auth
