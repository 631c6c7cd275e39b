// The object store a one-core command (sluice janitor, sluice thumbnailer) opens: the one
// `sluice serve` would open for the same configuration.
#pragma once

#include <memory>

#include "core/reactor.h"
#include "core/result.h"
#include "storage/service/service_config.h"
#include "storage/store/object_store.h"

namespace sluice {

Result<std::unique_ptr<ObjectStore>> open_object_store(Reactor& r, const ServiceConfig& c);

}  // namespace sluice
