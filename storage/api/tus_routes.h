// tus 1.0 resumable uploads under /v1/tus (DESIGN §4): core, creation, creation-with-upload,
// creation-defer-length, termination, checksum, expiration; X-HTTP-Method-Override honoured.
// The finished upload is an ordinary file, named by the Sluice-File-Id header.
#pragma once

#include "http/router.h"
#include "storage/service/service_config.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_admission.h"

namespace sluice {

struct TusRouteOptions {
  SessionSettings sessions;  // stale_upload_after is the tus expiry here
};

TusRouteOptions tus_route_options(const ServiceConfig& config);
void add_tus_routes(Router& router, ServiceContexts* contexts, TusRouteOptions options);

}  // namespace sluice
