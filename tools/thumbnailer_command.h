// `sluice thumbnailer [--once]`: the thumbnailer alone (the same code `sluice serve` runs on core 0
// unless SLUICE_THUMBNAILS=off), against the database and object store `sluice serve` is
// configured with. Any number may run: jobs are claimed with SKIP LOCKED. Runs until SIGINT or
// SIGTERM; --once works until no job is due, prints what it did as JSON and exits.
#pragma once

#include <string>
#include <vector>

namespace sluice {

// Exit codes: 0 done, 1 the store, database or libvips is unusable, 2 bad usage.
int run_thumbnailer_command(const std::vector<std::string>& args);

}  // namespace sluice
