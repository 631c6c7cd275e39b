#include "storage/api/thumbnail_routes.h"

#include <charconv>
#include <optional>

#include "storage/api/api_error.h"
#include "storage/api/caller_auth.h"
#include "storage/api/content_response.h"
#include "storage/api/rate_limit_gate.h"
#include "storage/service/files/file_downloads.h"
#include "storage/service/files/files.h"
#include "storage/service/files/public_files.h"
#include "storage/service/thumbnails/thumbnail_lookup.h"

namespace sluice {

namespace {

std::string size_list(const std::vector<int>& sizes) {
  std::string out;
  for (int s : sizes) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

// ?size=, the first configured size when absent; nullopt after answering 400.
Task<std::optional<int>> asked_size(HttpExchange& ex, const std::vector<int>& sizes) {
  auto text = ex.request().query_param("size");
  if (!text) co_return sizes.front();
  int v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec == std::errc() && end == text->data() + text->size())
    for (int s : sizes)
      if (s == v) co_return v;
  ApiError e(400, "invalid_size", "size must be one of " + size_list(sizes));
  co_await respond_api_error(ex, std::move(e));
  co_return std::nullopt;
}

Task<void> get_owner_thumbnail(HttpExchange& ex, ServiceContexts* all, const ThumbnailRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto f = co_await service::find_visible_file(*ctx.pg, *who, std::string(ex.request().param("id")));
  if (!f.ok()) co_return co_await respond_api_error(ex, api_error_from(f.error()));
  if (Status s = service::check_readable(*f); !s.ok())
    co_return co_await respond_api_error(ex, api_error_from(s.error()));
  co_await serve_thumbnail(ex, ctx, f->id, opts->sizes, "private");
}

Task<void> get_public_thumbnail(HttpExchange& ex, ServiceContexts* all, const ThumbnailRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!co_await limit_public(ex, ctx)) co_return;  // per client address
  auto f = co_await service::find_public_file(*ctx.pg, std::string(ex.request().param("id")));
  if (!f.ok()) co_return co_await respond_api_error(ex, api_error_from(f.error()));
  co_await serve_thumbnail(ex, ctx, f->id, opts->sizes,
                           "public, max-age=" + std::to_string(opts->public_max_age_seconds));
}

}  // namespace

Task<void> serve_thumbnail(HttpExchange& ex, ServiceContext& ctx, std::string file_id, const std::vector<int>& sizes,
                           std::string cache_control) {
  auto size = co_await asked_size(ex, sizes);
  if (!size) co_return;
  auto t = co_await service::find_thumbnail(*ctx.pg, std::move(file_id), *size);
  if (!t.ok()) co_return co_await respond_api_error(ex, api_error_from(t.error()));
  switch (t->state) {
    case service::ThumbnailState::not_an_image: {
      ApiError e(404, "not_an_image", "this file has no thumbnail: its type is not an image Sluice reads");
      co_return co_await respond_api_error(ex, std::move(e));
    }
    case service::ThumbnailState::pending: {
      ApiError e(202, "thumbnail_pending", "the thumbnail is being made; try again shortly");
      e.with_header("Retry-After", "2");
      e.with_header("Cache-Control", "no-store");
      co_return co_await respond_api_error(ex, std::move(e));
    }
    case service::ThumbnailState::failed: {
      ApiError e(422, "thumbnail_failed", "no thumbnail can be made of this file: " + t->error);
      co_return co_await respond_api_error(ex, std::move(e));
    }
    case service::ThumbnailState::ready:
      break;
  }
  if (!t->stored) {  // made before this size was configured
    ApiError e(404, "thumbnail_size_unavailable", "this file's thumbnails were made without size " +
                                                      std::to_string(*size));
    co_return co_await respond_api_error(ex, std::move(e));
  }
  ContentTarget target;
  target.key = t->stored->key;
  target.size = t->stored->size;
  target.etag = t->stored->etag;
  target.content_type = "image/webp";
  target.cache_control = std::move(cache_control);
  co_await serve_content(ex, *ctx.store, std::move(target));
}

ThumbnailRouteOptions thumbnail_route_options(const ServiceConfig& c) {
  ThumbnailRouteOptions o;
  o.sizes = c.thumbnail_sizes;
  o.public_max_age_seconds = std::chrono::duration_cast<std::chrono::seconds>(c.public_max_age).count();
  return o;
}

void add_thumbnail_routes(Router& router, ServiceContexts* contexts, ThumbnailRouteOptions options) {
  auto opts = std::make_shared<ThumbnailRouteOptions>(std::move(options));
  router.add("GET", "/v1/files/{id}/thumbnail",
             [contexts, opts](HttpExchange& ex) { return get_owner_thumbnail(ex, contexts, opts.get()); });
  router.add("GET", "/public/v1/files/{id}/thumbnail",
             [contexts, opts](HttpExchange& ex) { return get_public_thumbnail(ex, contexts, opts.get()); });
}

}  // namespace sluice
