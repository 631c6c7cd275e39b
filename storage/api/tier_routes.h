// Tiers as data and rate-limit overrides, for admins:
//   GET /v1/admin/tiers, GET /v1/admin/tiers/{name}, PUT /v1/admin/tiers/{name} (create or
//   replace: quotaBytes, maxFileBytes, maxFiles, maxConcurrentUploads, allowedMimeTypes (null:
//   any), requestsPerMinute, burst; all validated);
//   PUT /v1/admin/users/{id}/rate-limit and PUT /v1/admin/keys/{id}/rate-limit
//   ({"requestsPerMinute": n|null, "burst": n|null}; null: back to the tier's / the owner's).
// Changes reach every core's limit cache within its TTL (5 s); admission reads tiers per upload.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_tier_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
