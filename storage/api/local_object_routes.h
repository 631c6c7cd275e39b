// GET/PUT /v1/local/objects/{key}?method=&expires=[&upload_id=&part=][&response-content-*=]&sig=:
// what the local store's presigned URLs point at. The signature is checked with the store's
// LocalUrlSigner (403 with a JSON error when it does not match or expired); a part PUT must also
// belong to an active session and carry exactly that part's size; a GET (a download link) is
// served as content (Range, conditional, HEAD, nosniff) with the disposition and type it binds.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

// Registers the route for keys of 1..kMaxLocalKeySegments segments (the router matches whole
// segments; Sluice's keys have six).
inline constexpr int kMaxLocalKeySegments = 16;
void add_local_object_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
