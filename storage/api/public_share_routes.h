// What anyone holding a share link may do: GET /public/v1/shares/{token} (metadata),
// GET (and HEAD) /public/v1/shares/{token}/content, GET /public/v1/shares/{token}/thumbnail and
// POST /public/v1/shares/{token}/unlock.
// Answers are private, no-store and no-referrer: the URL itself is the capability.
#pragma once

#include "http/router.h"
#include "storage/api/share_views.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_public_share_routes(Router& router, ServiceContexts* contexts, const ShareRouteOptions* options);

}  // namespace sluice
