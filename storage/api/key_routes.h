// API key routes: POST /v1/keys (the key is shown once, in the 201), GET /v1/keys (no secrets)
// and DELETE /v1/keys/{id} (revocation: immediate on every core of this instance, within the
// cache TTL on other instances). Keys belong to their owner; everyone else gets 404.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_key_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
