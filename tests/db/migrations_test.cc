// Integration tests for the migration runner: several processes migrating one fresh database
// at the same moment apply each migration exactly once.
#include "db/migrations.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "db/migrate_command.h"
#include "db/pg_pool.h"
#include "tests/db/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;
using testing::ScopedTestDatabase;

TEST(Migrations, ConcurrentProcessesApplyEachMigrationOnce) {
  ScopedTestDatabase db("migrate");
  if (!db.configured()) GTEST_FAIL() << "SLUICE_TEST_PG_URL is not set (run through tools/test)";
  if (!db.create()) return;
  ASSERT_FALSE(embedded_migrations().empty());

  // Fork before this process runs any reactor again; each child migrates and exits.
  constexpr int kProcesses = 8;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(run_migrate_command(db.url()));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }

  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgOptions o;
    o.url = url;
    o.connections = 1;
    PgPool pool(r, o);
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    auto rows = co_await pool.execute(
        "SELECT version, count(*) FROM public.sluice_schema_migrations GROUP BY version ORDER BY version");
    EXPECT_TRUE(rows.ok());
    if (rows) {
      EXPECT_EQ(static_cast<size_t>(rows->rows()), embedded_migrations().size());
      for (int i = 0; i < rows->rows(); ++i) {
        EXPECT_EQ(*rows->int32(i, 0), embedded_migrations()[static_cast<size_t>(i)].version);
        EXPECT_EQ(*rows->int64(i, 1), 1);
      }
    }
    auto schema = co_await pool.execute(
        "SELECT to_regclass('sluice.files') IS NOT NULL AND to_regclass('sluice.accounts') IS NOT NULL");
    EXPECT_TRUE(schema.ok() && *schema->boolean(0, 0));
    auto tiers = co_await pool.execute("SELECT count(*) FROM sluice.tiers");
    EXPECT_TRUE(tiers.ok() && *tiers->int64(0, 0) >= 1);
    // Running again in-process applies nothing.
    auto again = co_await apply_migrations(pool);
    EXPECT_TRUE(again.ok()) << (again ? "" : again.error().message);
    if (again) {
      EXPECT_EQ(again->applied, 0);
      EXPECT_EQ(static_cast<size_t>(again->already), embedded_migrations().size());
    }
    // The advisory lock was released: it can be taken without waiting.
    auto lock = co_await pool.execute("SELECT pg_try_advisory_lock($1::bigint)", kMigrationLockKey);
    EXPECT_TRUE(lock.ok() && *lock->boolean(0, 0));
    co_await pool.close();
  });
}

TEST(Migrations, AFailingMigrationIsRolledBackWithItsBookkeeping) {
  ScopedTestDatabase db("migrate_fail");
  if (!db.configured()) GTEST_FAIL() << "SLUICE_TEST_PG_URL is not set (run through tools/test)";
  if (!db.create()) return;
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgOptions o;
    o.url = url;
    o.connections = 1;
    PgPool pool(r, o);
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    static const Migration kSet[] = {
        {1, "0001_ok", "CREATE TABLE t1 (id int); INSERT INTO t1 VALUES (1);"},
        {2, "0002_broken", "CREATE TABLE t2 (id int); INSERT INTO nowhere VALUES (1);"},
    };
    auto rep = co_await apply_migrations(pool, kSet, deadline_after(10s));
    EXPECT_FALSE(rep.ok());
    if (!rep) {
      EXPECT_NE(rep.error().message.find("0002_broken"), std::string::npos) << rep.error().message;
      EXPECT_EQ(rep.error().detail, "42P01");
    }
    auto state = co_await pool.execute(
        "SELECT (SELECT count(*) FROM public.sluice_schema_migrations), to_regclass('t1') IS NOT NULL,"
        " to_regclass('t2') IS NOT NULL");
    EXPECT_TRUE(state.ok());
    if (state) {
      EXPECT_EQ(*state->int64(0, 0), 1);
      EXPECT_TRUE(*state->boolean(0, 1));
      EXPECT_FALSE(*state->boolean(0, 2));
    }
    co_await pool.close();
  });
}

}  // namespace
}  // namespace sluice
