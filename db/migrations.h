// Applies the embedded SQL migrations (db/migrations/NNNN_name.sql) that a database lacks.
// Bookkeeping lives in public.sluice_schema_migrations (version, name, applied_at); public,
// because the sluice schema itself is created by a migration. Safe when many processes start
// at once: everything runs under a session advisory lock taken before the bookkeeping table is
// even created, and each migration commits together with its bookkeeping row.
#pragma once

#include <cstdint>
#include <span>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "db/migration_list.h"

namespace sluice {

class PgPool;

// The advisory lock key every Sluice process uses for migrations ("sluice" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x736c75696365;

struct MigrationReport {
  int applied = 0;       // migrations applied by this call
  int already = 0;       // migrations found recorded
  int latest_version = 0;
};

Task<Result<MigrationReport>> apply_migrations(PgPool& pool, std::span<const Migration> migrations,
                                              Deadline lock_deadline);
// The embedded migrations, waiting up to 10 minutes for another process's run to finish.
Task<Result<MigrationReport>> apply_migrations(PgPool& pool);

}  // namespace sluice
