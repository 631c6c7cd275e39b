// The file API's upload and read routes: PUT /v1/files/content (raw body, Content-Length or
// chunked, streamed), POST /v1/files (multipart/form-data, see form_upload.h), GET
// /v1/files/{id} (metadata) and GET /v1/files/{id}/content (bytes, with Range).
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_file_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
