// Purging files for good: the second step of a purge (purge_queries.h has the first). The
// objects of rows already marked 'deleted' are removed from the store, then the rows dropped;
// what fails stays queued as 'deleted' rows, which the janitor finishes (finish_stale_purges).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "db/pg_result.h"
#include "storage/store/object_store.h"

namespace sluice::service {

struct PurgedFile {
  std::string id;
  std::string object_key;
};

struct PurgeProgress {
  uint64_t finished = 0;  // objects removed and rows dropped
  uint64_t failed = 0;    // left queued (store or database error)
};

// Rows (id, object_key) returned by a purge statement.
std::vector<PurgedFile> purged_files(const PgResult& r);

// Removes each file's object, then drops the rows whose objects are gone (one statement).
Task<PurgeProgress> finish_purge(PgPool& pg, ObjectStore& store, std::vector<PurgedFile> files);

// Runs `purge` (a purge_sql statement returning id, object_key) with `args`, then finish_purge on
// what it purged. Returns the purged files (their ids), whatever finishing them did: the quota is
// already released and the janitor completes the rest.
template <class... A>
Task<Result<std::vector<PurgedFile>>> purge_now(PgPool& pg, ObjectStore& store, const PgStatement& purge,
                                                A... args) {
  auto r = co_await pg.query(purge, args...);
  if (!r.ok()) co_return std::move(r).error();
  std::vector<PurgedFile> files = purged_files(*r);
  std::vector<PurgedFile> copy = files;
  co_await finish_purge(pg, store, std::move(copy));
  co_return files;
}

// The janitor's pass: purges whose purger died (rows 'deleted' for longer than `older_than`),
// up to `batch` of them.
Task<Result<PurgeProgress>> finish_stale_purges(PgPool& pg, ObjectStore& store, Duration older_than, int batch);

}  // namespace sluice::service
