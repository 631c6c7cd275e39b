// Authenticator: turns an Authorization header value ("Bearer ...") into a Principal: a JWT verified
// locally, or an API key (sk_<prefix>_<secret>) checked through an ApiKeyLookup.
// One per core; the JwtVerifier it reads is immutable after start-up.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"
#include "core/task.h"
#include <string_view>
#include "storage/service/auth/jwt.h"
#include "storage/service/auth/principal.h"

namespace sluice {

// Resolves an API key to its owner and scopes; implemented over PostgreSQL with a per-core
// cache. `now_unix` (wall clock) decides whether a key with an expiry has expired.
class ApiKeyLookup {
 public:
  virtual Task<Result<Principal>> lookup(std::string prefix, std::string secret, int64_t now_unix) = 0;

 protected:
  ~ApiKeyLookup() = default;
};

class Authenticator {
 public:
  Authenticator(const auth::JwtVerifier& jwt, ApiKeyLookup* api_keys) : jwt_(jwt), api_keys_(api_keys) {}

  // `authorization` is the header's value ("" when absent); it must outlive the await.
  // Errc::unauthenticated with a precise reason when missing, invalid or expired;
  // Errc::unavailable when an API key cannot be checked now (never reported as unauthenticated).
  Task<Result<Principal>> authenticate(std::string_view authorization, int64_t now_unix);

 private:
  const auth::JwtVerifier& jwt_;
  ApiKeyLookup* api_keys_;
};

}  // namespace sluice
