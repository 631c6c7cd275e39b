#include "db/migrations.h"

#include <set>
#include <string>

#include "core/log.h"
#include "db/pg_pool.h"

namespace sluice {

namespace {

constexpr const char* kCreateBookkeeping =
    "CREATE TABLE IF NOT EXISTS public.sluice_schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

Error migration_error(const Migration& m, const Error& e) {
  return Error(e.code, "migration " + std::string(m.name) + " failed: " + e.message, e.detail);
}

// The work done while holding the lock; the caller unlocks whatever happens.
Task<Result<MigrationReport>> apply_locked(PgSession& s, std::span<const Migration> migrations, Duration step) {
  MigrationReport report;
  auto created = co_await s.execute_params(kCreateBookkeeping, PgParams(), deadline_after(step));
  if (!created) co_return std::move(created).error();
  auto rows = co_await s.execute_params("SELECT version FROM public.sluice_schema_migrations", PgParams(),
                                        deadline_after(step));
  if (!rows) co_return std::move(rows).error();
  std::set<int> done;
  for (int i = 0; i < rows->rows(); ++i) {
    auto v = rows->int32(i, 0);
    if (!v) co_return std::move(v).error();
    done.insert(*v);
  }
  for (const Migration& m : migrations) {
    report.latest_version = std::max(report.latest_version, m.version);
    if (done.contains(m.version)) {
      ++report.already;
      continue;
    }
    auto begin = co_await s.execute_params("BEGIN", PgParams(), deadline_after(step));
    if (!begin) co_return migration_error(m, begin.error());
    Status applied = co_await s.run_script(std::string(m.sql), deadline_after(step));
    Result<PgResult> recorded = Error(Errc::internal, "not run");
    if (applied) {
      recorded = co_await s.execute_params(
          "INSERT INTO public.sluice_schema_migrations (version, name) VALUES ($1::int, $2::text)",
          PgParams(m.version, m.name), deadline_after(step));
    }
    if (!applied || !recorded) {
      Error e = !applied ? applied.error() : recorded.error();
      auto rb = co_await s.execute_params("ROLLBACK", PgParams(), deadline_after(step));
      (void)rb;
      co_return migration_error(m, e);
    }
    auto commit = co_await s.execute_params("COMMIT", PgParams(), deadline_after(step));
    if (!commit) co_return migration_error(m, commit.error());
    if (commit->command_tag() == "ROLLBACK") {
      co_return migration_error(m, Error(Errc::conflict, "the server rolled it back"));
    }
    ++report.applied;
    log_event(LogLevel::info, "migration_applied", {{"version", m.version}, {"name", m.name}});
  }
  for (int v : done) {
    if (v > report.latest_version) {
      log_event(LogLevel::warn, "migration_unknown_version",
                {{"version", v}, {"note", "the database is newer than this binary"}});
    }
  }
  co_return report;
}

}  // namespace

Task<Result<MigrationReport>> apply_migrations(PgPool& pool, std::span<const Migration> migrations,
                                              Deadline lock_deadline) {
  // Migrations may run longer than an ordinary query.
  const Duration step = std::max<Duration>(pool.options().query_timeout, std::chrono::minutes(10));
  auto session = co_await pool.pin(lock_deadline);
  if (!session) co_return std::move(session).error();
  // Lock first: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog. The
  // server gives up waiting at the deadline itself (lock_timeout), so a lock can never be
  // granted later to a connection whose caller has stopped waiting.
  auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(lock_deadline - Clock::now()).count();
  auto set = co_await session->execute_params("SELECT set_config('lock_timeout', $1::text, false)",
                                              PgParams(std::to_string(std::max<int64_t>(wait_ms, 1)) + "ms"),
                                              deadline_after(step));
  if (!set) co_return std::move(set).error();
  auto locked = co_await session->execute_params("SELECT pg_advisory_lock($1::bigint)", PgParams(kMigrationLockKey),
                                                 lock_deadline + std::chrono::seconds(30));
  auto reset = co_await session->execute_params("RESET lock_timeout", PgParams(), deadline_after(step));
  if (!locked) co_return std::move(locked).error();
  if (!reset) co_return std::move(reset).error();
  auto report = co_await apply_locked(*session, migrations, step);
  auto unlocked = co_await session->execute_params("SELECT pg_advisory_unlock($1::bigint)",
                                                   PgParams(kMigrationLockKey), deadline_after(step));
  if (!report) co_return report;
  if (!unlocked) co_return std::move(unlocked).error();
  co_return report;
}

Task<Result<MigrationReport>> apply_migrations(PgPool& pool) {
  return apply_migrations(pool, embedded_migrations(), deadline_after(std::chrono::minutes(10)));
}

}  // namespace sluice
