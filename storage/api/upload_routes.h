// The client-driven multipart API: POST /v1/uploads, GET /v1/uploads/{id},
// PUT /v1/uploads/{id}/parts/{n}, POST /v1/uploads/{id}/parts/{n}/url,
// POST /v1/uploads/{id}/heartbeat, POST /v1/uploads/{id}/complete, DELETE /v1/uploads/{id}.
#pragma once

#include <cstdint>

#include "http/router.h"
#include "storage/service/service_config.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_admission.h"

namespace sluice {

struct UploadRouteOptions {
  SessionSettings sessions;
  unsigned heartbeat_rate = 60;  // heartbeats per user per minute; more get 429
  // Presigned part URLs: expiresIn when the client gives none, and the bounds it must respect.
  int64_t presign_default_expiry = 900;
  int64_t presign_min_expiry = 60;
  int64_t presign_max_expiry = 24 * 3600;
};

UploadRouteOptions upload_route_options(const ServiceConfig& config);
void add_upload_routes(Router& router, ServiceContexts* contexts, UploadRouteOptions options);

}  // namespace sluice
