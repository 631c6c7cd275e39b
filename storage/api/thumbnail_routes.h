// Thumbnails over HTTP: GET /v1/files/{id}/thumbnail?size= (the owner) and
// GET /public/v1/files/{id}/thumbnail?size= (public files); the share route
// (/public/v1/shares/{token}/thumbnail) lives with the other share routes and answers through
// serve_thumbnail. 404 not_an_image, 202 + Retry-After while pending, 422 thumbnail_failed.
#pragma once

#include <string>
#include <vector>

#include "core/task.h"
#include "http/http_exchange.h"
#include "http/router.h"
#include "storage/service/service_config.h"
#include "storage/service/service_context.h"

namespace sluice {

struct ThumbnailRouteOptions {
  std::vector<int> sizes{128, 512};  // what ?size= may ask for; the first is the default
  int64_t public_max_age_seconds = 300;
};

ThumbnailRouteOptions thumbnail_route_options(const ServiceConfig& c);

void add_thumbnail_routes(Router& router, ServiceContexts* contexts, ThumbnailRouteOptions options);

// Answers the request with the thumbnail of file `file_id` in the size its ?size= asks for (the
// caller has checked that the file may be seen), with `cache_control` on a 200 or 304.
Task<void> serve_thumbnail(HttpExchange& ex, ServiceContext& ctx, std::string file_id, const std::vector<int>& sizes,
                           std::string cache_control);

}  // namespace sluice
