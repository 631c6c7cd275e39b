#include "storage/service/master_keys_loading.h"

namespace sluice {

Result<std::shared_ptr<const local::MasterKeyRing>> load_master_keys(const ServiceConfig& c) {
  if (!c.encryption) return std::shared_ptr<const local::MasterKeyRing>();
  if (c.store != "local")
    return Error(Errc::invalid_argument,
                 "SLUICE_ENCRYPTION=on encrypts the local store; S3 encrypts server-side (SLUICE_S3_SSE)");
  if (c.master_key_file.empty())
    return Error(Errc::invalid_argument, "SLUICE_ENCRYPTION=on needs SLUICE_MASTER_KEY_FILE");
  auto ring = local::MasterKeyRing::load(c.master_key_file, c.master_keys_dir);
  if (!ring.ok()) return std::move(ring).error();
  return std::shared_ptr<const local::MasterKeyRing>(std::make_shared<local::MasterKeyRing>(std::move(*ring)));
}

}  // namespace sluice
