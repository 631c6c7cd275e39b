// Reading files, for their owner: one file's metadata, its content (Range, conditional, HEAD)
// and signed download URLs (GET /v1/files/{id}/url).
#pragma once

#include "http/router.h"
#include "storage/service/files/file_downloads.h"
#include "storage/service/service_config.h"
#include "storage/service/service_context.h"

namespace sluice {

struct FileReadOptions {
  service::DownloadUrlBounds url;  // expiresIn of GET /v1/files/{id}/url
};

FileReadOptions file_read_options(const ServiceConfig& config);
void add_file_read_routes(Router& router, ServiceContexts* contexts, FileReadOptions options);

}  // namespace sluice
