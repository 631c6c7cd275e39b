// The master key ring `sluice serve` and the tools open the local store with, from
// SLUICE_ENCRYPTION, SLUICE_MASTER_KEY_FILE and SLUICE_MASTER_KEYS_DIR. Blocking: start-up only.
#pragma once

#include <memory>

#include "core/result.h"
#include "storage/service/service_config.h"
#include "storage/store/local/master_key_ring.h"

namespace sluice {

// Null when encryption is off; Errc::invalid_argument when it is on without a usable key file,
// or on with a store other than the local one (S3 encrypts server-side: SLUICE_S3_SSE).
Result<std::shared_ptr<const local::MasterKeyRing>> load_master_keys(const ServiceConfig& c);

}  // namespace sluice
