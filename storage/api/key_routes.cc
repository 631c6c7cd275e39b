#include "storage/api/key_routes.h"

#include <ctime>
#include <string>
#include <vector>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/json_body.h"
#include "storage/auth/api_key.h"
#include "storage/auth/api_key_store.h"
#include "storage/auth/api_scope.h"
#include "storage/auth/rfc3339.h"
#include "storage/upload/upload_queries.h"
#include "storage/upload/upload_session.h"

namespace sluice {

namespace {

constexpr size_t kMaxNameChars = 128;
constexpr int kMaxListed = 1000;

#define SLUICE_KEY_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// $1 owner, $2 prefix, $3 secret hash, $4 name, $5 scopes, $6 expiry in Unix milliseconds or NULL.
constexpr PgStatement kInsertKey{
    "sluice_api_key_insert",
    "INSERT INTO sluice.api_keys (owner, prefix, secret_hash, name, scopes, expires_at) "
    "VALUES ($1, $2, $3, $4, $5::text[], to_timestamp($6::bigint / 1000.0)) "
    "RETURNING id::text, " SLUICE_KEY_TIME("created_at") ", " SLUICE_KEY_TIME("expires_at"),
    6};

// $1 owner, $2 limit. Keys not revoked (expired ones too, with their expiresAt), newest first.
constexpr PgStatement kListKeys{
    "sluice_api_key_list",
    "SELECT id::text, prefix, name, scopes, " SLUICE_KEY_TIME("created_at") ", " SLUICE_KEY_TIME("last_used_at")
    ", " SLUICE_KEY_TIME("expires_at")
    " FROM sluice.api_keys WHERE owner = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2",
    2};

// $1 key id, $2 owner. Returns the prefix of the key it revoked (none: not the caller's, or gone).
constexpr PgStatement kRevokeKey{
    "sluice_api_key_revoke",
    "UPDATE sluice.api_keys SET revoked_at = now() WHERE id = $1::uuid AND owner = $2 AND revoked_at IS NULL "
    "RETURNING prefix",
    2};

#undef SLUICE_KEY_TIME

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

struct NewKeyRequest {
  std::string name;
  ApiScopes scopes = kAllApiScopes;  // a key created without "scopes" may do all its owner may
  std::optional<int64_t> expires_millis;
};

ApiError unknown_scope(std::string_view scope) {
  std::string shown(scope.substr(0, 64));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return ApiError(400, "invalid_scopes",
                  "unknown scope '" + shown + "'; scopes are " + std::string(known_scope_list()));
}

std::variant<NewKeyRequest, ApiError> parse_new_key(const std::string& body, int64_t now_unix) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  NewKeyRequest out;
  bool has_name = false;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    if (field.key == "name") {
      std::string_view name;
      if (field.value.get_string().get(name) != simdjson::SUCCESS)
        return ApiError(400, "invalid_name", "name must be a string");
      if (name.empty() || name.size() > kMaxNameChars || !printable(name))
        return ApiError(400, "invalid_name", "name must be 1 to 128 printable characters");
      out.name = std::string(name);
      has_name = true;
    } else if (field.key == "scopes") {
      simdjson::dom::array list;
      if (field.value.get_array().get(list) != simdjson::SUCCESS)
        return ApiError(400, "invalid_scopes", "scopes must be an array of strings");
      out.scopes = 0;
      for (auto item : list) {
        std::string_view name;
        if (item.get_string().get(name) != simdjson::SUCCESS)
          return ApiError(400, "invalid_scopes", "scopes must be an array of strings");
        auto scope = parse_scope(name);
        if (!scope) return unknown_scope(name);
        out.scopes |= static_cast<ApiScopes>(*scope);
      }
      // A key that may do nothing is a mistake, not a request.
      if (out.scopes == 0)
        return ApiError(400, "invalid_scopes",
                        "scopes must name at least one of " + std::string(known_scope_list()) +
                            " (leave scopes out for all of them)");
    } else if (field.key == "expiresAt") {
      if (field.value.is_null()) continue;
      std::string_view text;
      if (field.value.get_string().get(text) != simdjson::SUCCESS)
        return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time string or null");
      auto ms = parse_rfc3339_millis(text);
      if (!ms) return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z");
      if (*ms <= now_unix * 1000) return ApiError(400, "invalid_expiry", "expiresAt must be in the future");
      out.expires_millis = *ms;
    }
  }
  if (!has_name) return ApiError(400, "invalid_name", "name is required");
  return out;
}

void write_scopes(http::JsonWriter& w, const std::vector<std::string>& scopes) {
  w.key("scopes").begin_array();
  for (const auto& s : scopes) w.string(s);
  w.end_array();
}

void write_time_or_null(http::JsonWriter& w, const PgResult& r, int row, int col) {
  if (r.is_null(row, col))
    w.null();
  else
    w.string(r.text(row, col));
}

Task<void> create_key(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::keys_write);
  if (!who) co_return;
  // A leaked key must not be able to mint more keys that outlive its revocation.
  if (who->via_api_key)
    co_return co_await respond_api_error(ex,
                                         ApiError(403, "forbidden", "API keys cannot create API keys; use a token"));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto req = parse_new_key(std::get<std::string>(body), static_cast<int64_t>(time(nullptr)));
  if (auto* e = std::get_if<ApiError>(&req)) co_return co_await respond_api_error(ex, std::move(*e));
  NewKeyRequest& nk = std::get<NewKeyRequest>(req);

  auto account = co_await ctx.pg->query(upload_sql::kEnsureAccount, who->user_id, who->tier);
  if (!account.ok()) co_return co_await respond_api_error(ex, api_error_from(account.error()));
  // Prefixes are random (36^8); a collision is retried with a fresh key.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto key = auth::generate_api_key();
    if (!key.ok()) co_return co_await respond_api_error(ex, api_error_from(key.error()));
    std::vector<std::string> scope_list = scope_names(nk.scopes);
    auto r = co_await ctx.pg->query(kInsertKey, who->user_id, key->prefix, key->secret_hash, nk.name, scope_list,
                                    nk.expires_millis);
    if (!r.ok() && r.error().code == Errc::already_exists) continue;
    if (!r.ok()) co_return co_await respond_api_error(ex, api_error_from(r.error()));
    std::string id(r->text(0, 0));
    std::string out;
    http::JsonWriter w(out);
    w.begin_object();
    w.key("id").string(id);
    w.key("key").string(key->full_key);
    w.key("prefix").string(key->prefix);
    w.key("name").string(nk.name);
    write_scopes(w, scope_list);
    w.key("createdAt").string(r->text(0, 1));
    w.key("expiresAt");
    write_time_or_null(w, *r, 0, 2);
    w.end_object();
    Response resp = Response::json(201, std::move(out));
    resp.header("Location", "/v1/keys/" + id);
    resp.header("Cache-Control", "no-store");  // the secret is in this body and nowhere else
    (void)co_await ex.respond(std::move(resp));
    co_return;
  }
  co_await respond_api_error(ex, ApiError(500, "internal", "could not allocate a unique key prefix"));
}

Task<void> list_keys(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::keys_write);
  if (!who) co_return;
  auto r = co_await ctx.pg->query(kListKeys, who->user_id, kMaxListed);
  if (!r.ok()) co_return co_await respond_api_error(ex, api_error_from(r.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (int i = 0; i < r->rows(); ++i) {
    w.begin_object();
    w.key("id").string(r->text(i, 0));
    w.key("prefix").string(r->text(i, 1));
    w.key("name").string(r->text(i, 2));
    std::vector<std::string> scopes;
    if (auto arr = r->text_array(i, 3); arr.ok())
      for (auto& s : *arr)
        if (s) scopes.push_back(std::move(*s));
    write_scopes(w, scopes);
    w.key("createdAt").string(r->text(i, 4));
    w.key("lastUsedAt");
    write_time_or_null(w, *r, i, 5);
    w.key("expiresAt");
    write_time_or_null(w, *r, i, 6);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

Task<void> revoke_key(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::keys_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  ApiError not_found(404, "not_found", "no API key with id '" + id + "'");
  if (!looks_like_uuid(id)) co_return co_await respond_api_error(ex, std::move(not_found));
  auto r = co_await ctx.pg->query(kRevokeKey, id, who->user_id);
  if (!r.ok()) co_return co_await respond_api_error(ex, api_error_from(r.error()));
  if (r->rows() == 0) co_return co_await respond_api_error(ex, std::move(not_found));
  std::string prefix(r->text(0, 0));
  // This core forgets the key before answering; the others as soon as the message lands.
  if (ctx.api_keys) ctx.api_keys->forget(prefix);
  Reactor& here = ex.reactor();
  for (unsigned c = 0; c < all->size(); ++c) {
    if (c == here.core()) continue;
    auto drop = [all, c, prefix] {
      if ((*all)[c] && (*all)[c]->api_keys) (*all)[c]->api_keys->forget(prefix);
    };
    here.post_to(c, std::move(drop));
  }
  Response resp;
  resp.status = 204;
  (void)co_await ex.respond(std::move(resp));
}

}  // namespace

void add_key_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  router.add(
      "POST", "/v1/keys", [contexts](HttpExchange& ex) { return create_key(ex, contexts); }, small);
  router.add("GET", "/v1/keys", [contexts](HttpExchange& ex) { return list_keys(ex, contexts); });
  router.add("DELETE", "/v1/keys/{id}", [contexts](HttpExchange& ex) { return revoke_key(ex, contexts); });
}

}  // namespace sluice
