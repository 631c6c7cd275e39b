// A share's link token and the short-lived access token an unlock hands out.
// Link token: 256 bits from OpenSSL's CSPRNG, base64url (43 characters); the database keeps
// only its lower-case hex SHA-256, and lookups go by that hash, so comparing a presented token
// is an index probe on a digest the client cannot steer (no timing oracle).
// Access token: base64url("<share id>.<password version>.<expiry unix s>") "." base64url(HMAC-
// SHA256(key, that payload)): bound to one share and its current password, so a new password
// (a bumped version) ends every token issued for the old one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::service {

struct ShareToken {
  std::string token;  // shown once, to the creator
  std::string hash;   // stored
};

Result<ShareToken> generate_share_token();
// Lower-case hex SHA-256 of a presented token (any text: an unknown token hashes as well).
std::string share_token_hash(std::string_view token);

// The HMAC key of access tokens, derived from `secret` (ServiceConfig::url_secret) with a
// label, so it never equals the URL-signing key; an empty secret gives a random key.
Result<std::string> derive_share_access_key(std::string_view secret);

struct ShareAccess {
  std::string share_id;
  int32_t password_version = 0;
  int64_t expires_unix = 0;
};

std::string sign_share_access(std::string_view key, const ShareAccess& a);
// The grant in `token` if its signature is the key's (constant-time comparison) and it is not
// past its expiry at `now_unix`; nullopt otherwise.
std::optional<ShareAccess> verify_share_access(std::string_view key, std::string_view token, int64_t now_unix);

}  // namespace sluice::service
