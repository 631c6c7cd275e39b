// The owner's share routes: POST/GET /v1/files/{id}/shares, GET /v1/shares,
// PATCH/DELETE /v1/shares/{id}. Writes need the shares:write scope, reads files:read.
#pragma once

#include "http/router.h"
#include "storage/api/share_views.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_share_routes(Router& router, ServiceContexts* contexts, const ShareRouteOptions* options);

}  // namespace sluice
