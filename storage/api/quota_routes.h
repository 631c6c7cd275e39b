// Quota routes: GET /v1/quota (the caller's tier, limits and usage), and for admins
// PUT /v1/admin/users/{id}/quota (tier and quota override; applies to the next admission) and
// GET /v1/admin/stats (totals from PostgreSQL plus this instance's counters, all cores summed).
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_quota_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
