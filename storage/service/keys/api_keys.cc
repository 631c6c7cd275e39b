#include "storage/service/keys/api_keys.h"

#include "storage/service/auth/api_key.h"
#include "storage/service/accounts/accounts.h"
#include "storage/service/domain_error.h"
#include "storage/service/keys/key_queries.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice::service {

Status may_create_api_keys(const Principal& who) {
  if (who.via_api_key) return domain_error(Reason::forbidden, "API keys cannot create API keys; use a token");
  return {};
}

Task<Result<CreatedApiKey>> create_api_key(PgPool& pg, Principal who, NewApiKey key) {
  auto account = co_await ensure_account(pg, who.user_id, who.tier);
  if (!account.ok()) co_return std::move(account).error();
  std::vector<std::string> scope_list = scope_names(key.scopes);
  // Prefixes are random (36^8); a collision is retried with a fresh key.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto generated = auth::generate_api_key();
    if (!generated.ok()) co_return std::move(generated).error();
    auto r = co_await pg.query(key_sql::kInsertKey, who.user_id, generated->prefix, generated->secret_hash, key.name,
                               scope_list, key.expires_millis);
    if (!r.ok() && r.error().code == Errc::already_exists) continue;
    if (!r.ok()) co_return std::move(r).error();
    CreatedApiKey out;
    out.id = std::string(r->text(0, 0));
    out.full_key = std::move(generated->full_key);
    out.prefix = std::move(generated->prefix);
    out.name = std::move(key.name);
    out.scopes = std::move(scope_list);
    out.created_at = std::string(r->text(0, 1));
    out.expires_at = r->opt_text(0, 2);
    co_return out;
  }
  co_return Error(Errc::internal, "could not allocate a unique key prefix");
}

Task<Result<std::vector<ApiKeyInfo>>> list_api_keys(PgPool& pg, std::string owner, int limit) {
  auto r = co_await pg.query(key_sql::kListKeys, owner, limit);
  if (!r.ok()) co_return std::move(r).error();
  std::vector<ApiKeyInfo> keys;
  keys.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    ApiKeyInfo k;
    k.id = std::string(r->text(i, 0));
    k.prefix = std::string(r->text(i, 1));
    k.name = std::string(r->text(i, 2));
    if (auto arr = r->text_array(i, 3); arr.ok())
      for (auto& s : *arr)
        if (s) k.scopes.push_back(std::move(*s));
    k.created_at = std::string(r->text(i, 4));
    k.last_used_at = r->opt_text(i, 5);
    k.expires_at = r->opt_text(i, 6);
    keys.push_back(std::move(k));
  }
  co_return keys;
}

Task<Result<std::string>> revoke_api_key(PgPool& pg, std::string owner, std::string id) {
  std::string unknown = "no API key with id '" + id + "'";
  if (!looks_like_uuid(id)) co_return domain_error(Reason::not_found, std::move(unknown));
  auto r = co_await pg.query(key_sql::kRevokeKey, id, owner);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, std::move(unknown));
  co_return std::string(r->text(0, 0));
}

}  // namespace sluice::service
