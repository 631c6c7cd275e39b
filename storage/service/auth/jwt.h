// Verifies the bearer JWTs clients authenticate with (HS256 shared secret, RS256/ES256 keys
// from a JWKS) and mints HS256 tokens for `sluice token` and tests.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/service/auth/jwks.h"

namespace sluice::auth {

enum class Role { user, admin, root };

std::string_view role_name(Role role);

// What Sluice takes from a verified token.
struct Claims {
  std::string sub{};          // the user id: 1..128 chars of [A-Za-z0-9._@:-]
  Role role = Role::user;     // "role" claim; absent means user
  std::string tier{};         // "tier" claim; empty when absent
  int64_t exp = 0;            // expiry, unix seconds
};

struct JwtOptions {
  std::string issuer{};        // required "iss" value; empty: not checked
  std::string audience{};      // must be "aud" or one of its entries; empty: not checked
  int64_t leeway_seconds = 30;  // clock skew allowed on exp, nbf and iat
};

class JwtVerifier {
 public:
  static constexpr size_t kMaxTokenBytes = 8 * 1024;
  static constexpr size_t kMinHs256SecretBytes = 32;  // RFC 7518 §3.2: at least the hash size

  explicit JwtVerifier(JwtOptions options = {});
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;

  // Enables HS256 with this shared secret (at least kMinHs256SecretBytes bytes).
  Status set_hs256_secret(std::string_view secret);
  // Enables RS256 / ES256 for the keys of a JWKS document; see JwkSet::add_json.
  Status add_jwks(std::string_view json);

  // True when a token with this alg can verify at all (a key of the matching type exists).
  bool accepts(JwsAlg alg) const;

  // Checks signature, then exp/nbf/iat against now_unix (with leeway), iss, aud and the
  // claims Sluice uses. Every failure is Errc::unauthenticated with a specific message.
  // Safe to call concurrently: keys are only read.
  Result<Claims> verify(std::string_view token, int64_t now_unix) const;

 private:
  struct MacDeleter {
    void operator()(EVP_MAC* mac) const;
  };

  JwtOptions options_;
  std::string hs256_secret_;  // empty: HS256 not accepted
  std::unique_ptr<EVP_MAC, MacDeleter> hmac_;
  JwkSet jwks_;
};

// An HS256 token carrying `claims` (claims.exp is ignored), with iat = now_unix and
// exp = now_unix + ttl_seconds; iss / aud are added when non-empty.
std::string mint_hs256(const Claims& claims, std::string_view secret, int64_t now_unix,
                       int64_t ttl_seconds, std::string_view issuer = {},
                       std::string_view audience = {});

}  // namespace sluice::auth
