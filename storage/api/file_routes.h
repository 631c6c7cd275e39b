// The file API's upload routes: PUT /v1/files/content (raw body, Content-Length or chunked,
// streamed) and POST /v1/files (multipart/form-data, see form_upload.h). Reading is
// file_read_routes.h.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_file_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
