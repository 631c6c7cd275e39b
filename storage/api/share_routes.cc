#include "storage/api/share_routes.h"

#include <charconv>
#include <ctime>
#include <string>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/json_body.h"

namespace sluice {

namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

int64_t now_unix() { return static_cast<int64_t>(time(nullptr)); }

Task<void> create(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::shares_write);
  if (!who) co_return;
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto req = parse_new_share(std::get<std::string>(body), now_unix());
  if (auto* e = std::get_if<ApiError>(&req)) co_return co_await respond_api_error(ex, std::move(*e));
  NewShareRequest nr = std::get<NewShareRequest>(std::move(req));
  service::NewShare ns;
  if (nr.password) {
    std::string plain = std::move(*nr.password);
    auto hashed = co_await hash_password_off_reactor(*opts->hashing, ex.reactor(), std::move(plain));
    if (auto* e = std::get_if<ApiError>(&hashed)) co_return co_await respond_api_error(ex, std::move(*e));
    ns.password_hash = std::get<std::string>(std::move(hashed));
  }
  ns.allow_download = nr.allow_download;
  ns.expires_millis = nr.expires_millis;
  ns.max_downloads = nr.max_downloads;
  ns.note = std::move(nr.note);
  std::string file_id(ex.request().param("id"));
  auto made = co_await service::create_share(*ctx.pg, who->user_id, std::move(file_id), std::move(ns));
  if (!made.ok()) co_return co_await respond_api_error(ex, api_error_from(made.error()));
  std::optional<std::string> token = made->token;
  Response resp = Response::json(201, share_json(made->share, opts->public_url, token));
  resp.header("Location", "/v1/shares/" + made->share.id);
  resp.header("Cache-Control", "no-store");  // the token is in this body and nowhere else
  (void)co_await ex.respond(std::move(resp));
}

// `limit` (1..1000, default 100) or the 400 to answer.
std::variant<int, ApiError> parse_limit(const Request& req) {
  auto text = req.query_param("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxLimit)
    return ApiError(400, "invalid_request", "limit must be an integer from 1 to 1000");
  return n;
}

Task<void> list(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts, bool of_file) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto limit = parse_limit(ex.request());
  if (auto* e = std::get_if<ApiError>(&limit)) co_return co_await respond_api_error(ex, std::move(*e));
  std::optional<std::string> file_id;
  if (of_file) file_id = std::string(ex.request().param("id"));
  std::optional<std::string> cursor = ex.request().query_param("cursor");
  if (cursor && cursor->empty()) cursor.reset();
  auto page =
      co_await service::list_shares(*ctx.pg, who->user_id, std::move(file_id), std::move(cursor), std::get<int>(limit));
  if (!page.ok()) co_return co_await respond_api_error(ex, api_error_from(page.error()));
  std::string out = "{\"items\":[";
  std::optional<std::string> no_token;
  for (size_t i = 0; i < page->items.size(); ++i) {
    if (i) out += ',';
    out += share_json(page->items[i], opts->public_url, no_token);
  }
  out += "],\"nextCursor\":";
  if (page->next_cursor) http::JsonWriter::append_string(out, *page->next_cursor);
  else out += "null";
  out += '}';
  Response resp = Response::json(200, std::move(out));
  resp.header("Cache-Control", "private, no-store");
  (void)co_await ex.respond(std::move(resp));
}

Task<void> change(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::shares_write);
  if (!who) co_return;
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto req = parse_share_change(std::get<std::string>(body), now_unix());
  if (auto* e = std::get_if<ApiError>(&req)) co_return co_await respond_api_error(ex, std::move(*e));
  ShareChangeRequest cr = std::get<ShareChangeRequest>(std::move(req));
  service::ShareChange c;
  c.expires_millis = cr.expires_millis;
  c.max_downloads = cr.max_downloads;
  c.allow_download = cr.allow_download;
  c.note = std::move(cr.note);
  if (cr.password) {
    c.password_hash.emplace();
    if (*cr.password) {
      std::string plain = std::move(**cr.password);
      auto hashed = co_await hash_password_off_reactor(*opts->hashing, ex.reactor(), std::move(plain));
      if (auto* e = std::get_if<ApiError>(&hashed)) co_return co_await respond_api_error(ex, std::move(*e));
      *c.password_hash = std::get<std::string>(std::move(hashed));
    }
  }
  std::string id(ex.request().param("id"));
  auto changed = co_await service::change_share(*ctx.pg, who->user_id, std::move(id), std::move(c));
  if (!changed.ok()) co_return co_await respond_api_error(ex, api_error_from(changed.error()));
  std::optional<std::string> no_token;
  (void)co_await ex.respond(Response::json(200, share_json(*changed, opts->public_url, no_token)));
}

Task<void> revoke(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::shares_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto done = co_await service::revoke_share(*ctx.pg, who->user_id, std::move(id));
  if (!done.ok()) co_return co_await respond_api_error(ex, api_error_from(done.error()));
  Response resp;
  resp.status = 204;
  (void)co_await ex.respond(std::move(resp));
}

}  // namespace

void add_share_routes(Router& router, ServiceContexts* contexts, const ShareRouteOptions* options) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  router.add(
      "POST", "/v1/files/{id}/shares", [contexts, options](HttpExchange& ex) { return create(ex, contexts, options); },
      small);
  router.add("GET", "/v1/files/{id}/shares",
             [contexts, options](HttpExchange& ex) { return list(ex, contexts, options, true); });
  router.add("GET", "/v1/shares", [contexts, options](HttpExchange& ex) { return list(ex, contexts, options, false); });
  router.add(
      "PATCH", "/v1/shares/{id}", [contexts, options](HttpExchange& ex) { return change(ex, contexts, options); },
      small);
  router.add("DELETE", "/v1/shares/{id}", [contexts](HttpExchange& ex) { return revoke(ex, contexts); });
}

}  // namespace sluice
