#include "storage/api/file_read_routes.h"

#include <charconv>
#include <ctime>
#include <optional>

#include "http/http_exchange.h"
#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/api/content_response.h"
#include "storage/service/files/content_disposition.h"
#include "storage/service/files/files.h"

namespace sluice {

namespace {

int64_t seconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

// Looks up a file the caller may see; answers 404 itself otherwise.
Task<std::optional<FileRecord>> visible_file(HttpExchange& ex, ServiceContext& ctx, const Principal& who) {
  std::string id(ex.request().param("id"));
  auto f = co_await service::find_visible_file(*ctx.pg, who, std::move(id));
  if (!f.ok()) {
    co_await respond_api_error(ex, api_error_from(f.error()));
    co_return std::nullopt;
  }
  co_return std::move(*f);
}

// ?disposition=inline|attachment, `fallback` when absent; nullopt after answering 400.
Task<std::optional<Disposition>> asked_disposition(HttpExchange& ex, Disposition fallback) {
  auto text = ex.request().query_param("disposition");
  if (!text) co_return fallback;
  auto d = parse_disposition(*text);
  if (!d) {
    ApiError e(400, "invalid_request", "disposition must be inline or attachment");
    co_await respond_api_error(ex, std::move(e));
  }
  co_return d;
}

Task<void> get_file(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto f = co_await visible_file(ex, ctx, *who);
  if (!f) co_return;
  (void)co_await ex.respond(Response::json(200, f->to_json()));
}

Task<void> get_content(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto f = co_await visible_file(ex, ctx, *who);
  if (!f) co_return;
  if (Status s = service::check_readable(*f); !s.ok())
    co_return co_await respond_api_error(ex, api_error_from(s.error()));
  // The owner's own view shows safe types in place unless asked to save them.
  auto asked = co_await asked_disposition(ex, Disposition::inline_view);
  if (!asked) co_return;
  ContentTarget t;
  t.key = f->object_key;
  t.size = f->size;
  t.etag = f->etag.value_or("");
  t.content_type = f->content_type;
  t.disposition = content_disposition(effective_disposition(f->content_type, *asked), f->name);
  t.cache_control = "private";
  co_await serve_content(ex, *ctx.store, std::move(t));
}

// GET /v1/files/{id}/url?expiresIn=&disposition= -> {"url","expiresAt"}
Task<void> get_download_url(HttpExchange& ex, ServiceContexts* all, FileReadOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  std::optional<int64_t> expires_in;
  if (auto text = ex.request().query_param("expiresIn")) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || text->empty()) {
      ApiError e(400, "invalid_expiry", "expiresIn must be a whole number of seconds");
      co_return co_await respond_api_error(ex, std::move(e));
    }
    expires_in = v;
  }
  auto asked = co_await asked_disposition(ex, Disposition::attachment);
  if (!asked) co_return;
  auto f = co_await visible_file(ex, ctx, *who);
  if (!f) co_return;
  auto url = service::download_url(*ctx.store, *f, expires_in, *asked, opts.url, static_cast<int64_t>(time(nullptr)));
  if (!url.ok()) co_return co_await respond_api_error(ex, api_error_from(url.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("url").string(url->url);
  w.key("expiresAt").string(format_rfc3339_seconds(url->expires_at_unix));
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

FileReadOptions file_read_options(const ServiceConfig& c) {
  FileReadOptions o;
  o.url.default_seconds = seconds(c.presign_default_expiry);
  o.url.min_seconds = seconds(c.presign_min_expiry);
  o.url.max_seconds = seconds(c.presign_max_expiry);
  return o;
}

void add_file_read_routes(Router& router, ServiceContexts* contexts, FileReadOptions options) {
  router.add("GET", "/v1/files/{id}", [contexts](HttpExchange& ex) { return get_file(ex, contexts); });
  router.add("GET", "/v1/files/{id}/content", [contexts](HttpExchange& ex) { return get_content(ex, contexts); });
  router.add("GET", "/v1/files/{id}/url",
             [contexts, options](HttpExchange& ex) { return get_download_url(ex, contexts, options); });
}

}  // namespace sluice
