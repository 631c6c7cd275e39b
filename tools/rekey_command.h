// `sluice rekey`: after a master key rotation, rewraps every local-store object's data key under
// the current master key (SLUICE_MASTER_KEY_FILE), rewriting only each object's envelope; the
// old keys come from SLUICE_MASTER_KEYS_DIR. Prints the counts as JSON. Parts of multipart
// uploads still in flight keep their key (they are read during the rotation, then joined).
#pragma once

#include <string>
#include <vector>

namespace sluice {

// Exit codes: 0 done, 1 some objects failed (listed on stderr) or the store cannot be opened,
// 2 bad usage (encryption off, not the local store).
int run_rekey_command(const std::vector<std::string>& args);

}  // namespace sluice
