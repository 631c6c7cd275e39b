#include "storage/api/key_routes.h"

#include <ctime>
#include <string>
#include <vector>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/json_body.h"
#include "storage/service/auth/api_key_store.h"
#include "storage/service/auth/api_scope.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/service/keys/api_keys.h"

namespace sluice {

namespace {

constexpr size_t kMaxNameChars = 128;
constexpr int kMaxListed = 1000;

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

using NewKeyRequest = service::NewApiKey;

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

void write_time_or_null(http::JsonWriter& w, const std::optional<std::string>& t) {
  if (t)
    w.string(*t);
  else
    w.null();
}

Task<void> create_key(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::keys_write);
  if (!who) co_return;
  if (auto may = service::may_create_api_keys(*who); !may.ok())
    co_return co_await respond_api_error(ex, api_error_from(may.error()));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto req = parse_new_key(std::get<std::string>(body), static_cast<int64_t>(time(nullptr)));
  if (auto* e = std::get_if<ApiError>(&req)) co_return co_await respond_api_error(ex, std::move(*e));
  NewKeyRequest nk = std::get<NewKeyRequest>(std::move(req));
  auto key = co_await service::create_api_key(*ctx.pg, *who, std::move(nk));
  if (!key.ok()) co_return co_await respond_api_error(ex, api_error_from(key.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("id").string(key->id);
  w.key("key").string(key->full_key);
  w.key("prefix").string(key->prefix);
  w.key("name").string(key->name);
  write_scopes(w, key->scopes);
  w.key("createdAt").string(key->created_at);
  w.key("expiresAt");
  write_time_or_null(w, key->expires_at);
  w.end_object();
  Response resp = Response::json(201, std::move(out));
  resp.header("Location", "/v1/keys/" + key->id);
  resp.header("Cache-Control", "no-store");  // the secret is in this body and nowhere else
  (void)co_await ex.respond(std::move(resp));
}

Task<void> list_keys(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::keys_write);
  if (!who) co_return;
  auto keys = co_await service::list_api_keys(*ctx.pg, who->user_id, kMaxListed);
  if (!keys.ok()) co_return co_await respond_api_error(ex, api_error_from(keys.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (const service::ApiKeyInfo& k : *keys) {
    w.begin_object();
    w.key("id").string(k.id);
    w.key("prefix").string(k.prefix);
    w.key("name").string(k.name);
    write_scopes(w, k.scopes);
    w.key("createdAt").string(k.created_at);
    w.key("lastUsedAt");
    write_time_or_null(w, k.last_used_at);
    w.key("expiresAt");
    write_time_or_null(w, k.expires_at);
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
  auto revoked = co_await service::revoke_api_key(*ctx.pg, who->user_id, std::move(id));
  if (!revoked.ok()) co_return co_await respond_api_error(ex, api_error_from(revoked.error()));
  std::string prefix = std::move(*revoked);
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
