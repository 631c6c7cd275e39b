// Changing and deleting files: PATCH/DELETE /v1/files/{id}, POST /v1/files/{id}/restore,
// GET/DELETE /v1/trash and the bulk POST /v1/files/delete.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_file_change_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
