// `sluice janitor --once`: runs the janitor's repairs one time against the database, Redis and
// object store that `sluice serve` is configured with (same SLUICE_* variables and flags), and
// prints what it repaired as JSON.
#pragma once

#include <string>
#include <vector>

namespace sluice {

// Exit codes: 0 done, 1 some repairs failed or the store/database is unreachable, 2 bad usage,
// 3 another janitor holds the lock (nothing was done).
int run_janitor_command(const std::vector<std::string>& args);

}  // namespace sluice
