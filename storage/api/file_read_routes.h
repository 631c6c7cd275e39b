// Reading files: one file's metadata and its content (Range, HEAD), for its owner.
#pragma once

#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_file_read_routes(Router& router, ServiceContexts* contexts);

}  // namespace sluice
