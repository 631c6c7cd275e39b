// Principal: who is calling, once authenticated: the user id, role and tier from a JWT, or the
// owner of an API key with the key's scopes.
#pragma once

#include <string>

#include "storage/service/auth/api_scope.h"
#include "storage/service/auth/jwt.h"

namespace sluice {

struct Principal {
  std::string user_id;
  auth::Role role = auth::Role::user;
  std::string tier;  // empty: the account's tier (or the default for new accounts)
  bool via_api_key = false;
  std::string api_key_id;  // the key's id when via_api_key (its own rate limit)
  ApiScopes scopes = kAllApiScopes;  // a JWT holds every scope; a key those it was created with

  bool is_admin() const { return role == auth::Role::admin || role == auth::Role::root; }
  bool has(ApiScope s) const { return has_scope(scopes, s); }
  // May this caller see or change something owned by `owner`?
  bool may_access(const std::string& owner) const { return owner == user_id || is_admin(); }
};

}  // namespace sluice
