// The audit log's read routes (DESIGN §4): GET /v1/audit, the caller's own trail (what they did,
// and what anyone did to the files and shares they own), and GET /v1/admin/audit (admin or root:
// every row). Filters: user (admin only), file, action, from/to (RFC 3339, [from, to)); keyset
// pagination: limit 1..1000 (default 100) and the previous page's nextCursor. Newest first.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_audit_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
