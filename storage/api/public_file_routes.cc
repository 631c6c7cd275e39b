#include "storage/api/public_file_routes.h"

#include <optional>
#include <string>

#include "http/http_exchange.h"
#include "http/json_writer.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/api/content_response.h"
#include "storage/api/rate_limit_gate.h"
#include "storage/service/files/content_disposition.h"
#include "storage/service/files/public_files.h"

namespace sluice {

namespace {

// What anyone may know of a public file: no owner, object key, path, tags or metadata.
std::string public_file_json(const FileRecord& f) {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("id").string(f.id);
  w.key("name").string(f.name);
  w.key("size").uint64(f.size);
  w.key("contentType").string(f.content_type);
  if (f.etag) w.key("etag").string(*f.etag);
  else w.key("etag").null();
  w.key("createdAt").string(f.created_at);
  w.key("updatedAt").string(f.updated_at);
  w.end_object();
  return out;
}

// The public file of the route's {id}, or nullopt after answering the one 404 every other file
// gets (or 429: public routes are limited by client address).
Task<std::optional<FileRecord>> public_file(HttpExchange& ex, ServiceContext& ctx) {
  if (!co_await limit_public(ex, ctx)) co_return std::nullopt;
  std::string id(ex.request().param("id"));
  auto f = co_await service::find_public_file(*ctx.pg, std::move(id));
  if (!f.ok()) {
    co_await respond_api_error(ex, api_error_from(f.error()));
    co_return std::nullopt;
  }
  audit_note(ex, "owner", f->owner);
  co_return std::move(*f);
}

std::string cache_control(const PublicFileOptions& o) { return "public, max-age=" + std::to_string(o.max_age_seconds); }

Task<void> get_public_file(HttpExchange& ex, ServiceContexts* all, PublicFileOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto f = co_await public_file(ex, ctx);
  if (!f) co_return;
  Response r = Response::json(200, public_file_json(*f));
  r.header("Cache-Control", cache_control(opts));
  (void)co_await ex.respond(std::move(r));
}

Task<void> get_public_content(HttpExchange& ex, ServiceContexts* all, PublicFileOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto f = co_await public_file(ex, ctx);
  if (!f) co_return;
  Disposition asked = Disposition::inline_view;
  if (auto text = ex.request().query_param("disposition"); text && *text == "attachment")
    asked = Disposition::attachment;
  ContentTarget t;
  t.key = f->object_key;
  t.size = f->size;
  t.etag = f->etag.value_or("");
  t.content_type = f->content_type;
  t.disposition = content_disposition(effective_disposition(f->content_type, asked), f->name);
  t.cache_control = cache_control(opts);
  co_await serve_content(ex, *ctx.store, std::move(t));
}

}  // namespace

PublicFileOptions public_file_options(const ServiceConfig& c) {
  PublicFileOptions o;
  o.max_age_seconds = std::chrono::duration_cast<std::chrono::seconds>(c.public_max_age).count();
  return o;
}

void add_public_file_routes(Router& router, ServiceContexts* contexts, PublicFileOptions options) {
  router.add("GET", "/public/v1/files/{id}",
             [contexts, options](HttpExchange& ex) { return get_public_file(ex, contexts, options); });
  router.add("GET", "/public/v1/files/{id}/content",
             [contexts, options](HttpExchange& ex) { return get_public_content(ex, contexts, options); });
}

}  // namespace sluice
