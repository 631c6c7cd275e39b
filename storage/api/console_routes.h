// The web console's routes: /console/ (the page), its versioned files (cached forever), the
// vendored Uppy bundle, and /s/{token}, the public page of a share. All from memory.
#pragma once

#include <memory>

#include "http/router.h"
#include "storage/api/console_assets.h"

namespace sluice {

void add_console_routes(Router& router, std::shared_ptr<const ConsoleAssets> assets);

}  // namespace sluice
