// Public files, without authentication: GET /public/v1/files/{id} (a public view of the file's
// metadata) and GET /public/v1/files/{id}/content (Range, conditional, HEAD, cacheable), only
// for files whose visibility is `public` and that are available. Every other file (private,
// trashed, absent, malformed id) is the same 404.
#pragma once

#include <cstdint>

#include "http/router.h"
#include "storage/service/service_config.h"
#include "storage/service/service_context.h"

namespace sluice {

struct PublicFileOptions {
  int64_t max_age_seconds = 300;  // Cache-Control: public, max-age=
};

PublicFileOptions public_file_options(const ServiceConfig& config);
void add_public_file_routes(Router& router, ServiceContexts* contexts, PublicFileOptions options);

}  // namespace sluice
