// The `sluice migrate` command: applies the embedded migrations to the database at `pg_url`
// from the calling thread (it runs its own reactor, so call it before any other reactor
// starts on this thread), printing progress as JSON log lines. Returns the exit code.
#pragma once

#include <string>

namespace sluice {

int run_migrate_command(const std::string& pg_url);

}  // namespace sluice
