// API key management: a user creates, lists and revokes their own keys. HTTP-free: plain values,
// Result errors (domain reasons or the database's). Forgetting a revoked key in every core's
// cache is the caller's (it knows the cores).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/api_scope.h"
#include "storage/service/auth/principal.h"

namespace sluice::service {

struct NewApiKey {
  std::string name;
  ApiScopes scopes = kAllApiScopes;  // a key created without scopes may do all its owner may
  std::optional<int64_t> expires_millis;  // Unix milliseconds; none: never expires
};

// A key just created: the only time its full secret exists outside the client.
struct CreatedApiKey {
  std::string id;
  std::string full_key;
  std::string prefix;
  std::string name;
  std::vector<std::string> scopes;
  std::string created_at;
  std::optional<std::string> expires_at;
};

struct ApiKeyInfo {
  std::string id;
  std::string prefix;
  std::string name;
  std::vector<std::string> scopes;
  std::string created_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> expires_at;
};

// Reason::forbidden for a caller authenticated by an API key: a leaked key must not be able to
// mint more keys that outlive its revocation.
Status may_create_api_keys(const Principal& who);

// Creates a key for `who` (and their account on first use).
Task<Result<CreatedApiKey>> create_api_key(PgPool& pg, Principal who, NewApiKey key);

// `owner`'s keys not revoked, newest first, at most `limit`.
Task<Result<std::vector<ApiKeyInfo>>> list_api_keys(PgPool& pg, std::string owner, int limit);

// Revokes `owner`'s key `id`; returns its prefix (to drop it from the caches). Reason::not_found
// when there is no such key of theirs.
Task<Result<std::string>> revoke_api_key(PgPool& pg, std::string owner, std::string id);

}  // namespace sluice::service
