// Integration tests for PgPool against the real PostgreSQL of SLUICE_TEST_PG_URL: pipelining,
// typed values, errors, transactions, a killed backend, timeouts. Each test uses its own
// fresh database.
#include "db/pg_pool.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/cancellable_op.h"
#include "core/task.h"
#include "tests/db/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;
using testing::ScopedTestDatabase;

constexpr PgStatement kAddOne{"test_add_one", "SELECT $1::int + 1", 1};
constexpr PgStatement kInsertItem{"test_insert_item", "INSERT INTO items (id, label) VALUES ($1, $2)", 2};
constexpr PgStatement kCountItems{"test_count_items", "SELECT count(*) FROM items", 0};
constexpr PgStatement kBadSql{"test_bad_sql", "SELEKT 1", 0};

#define REQUIRE_DB(db)                                                                          \
  ScopedTestDatabase db(#db);                                                                   \
  if (!db.configured()) GTEST_FAIL() << "SLUICE_TEST_PG_URL is not set (run through tools/test)"; \
  if (!db.create()) return

PgOptions options_for(const std::string& url, unsigned conns = 2) {
  PgOptions o;
  o.url = url;
  o.connections = conns;
  o.query_timeout = 20s;
  return o;
}

Task<void> add_one_many(PgPool& pool, int base, int count, int* correct) {
  for (int i = 0; i < count; ++i) {
    auto r = co_await pool.query(kAddOne, base + i);
    if (r && r->int32(0, 0).ok() && *r->int32(0, 0) == base + i + 1) ++*correct;
  }
}

TEST(PgPool, TenThousandQueriesFromAThousandCoroutinesArePipelined) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url));
    Status s = co_await pool.start();
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
    if (s) {
      int correct = 0;
      TaskGroup group;
      for (int c = 0; c < 1000; ++c) spawn(add_one_many(pool, c * 10, 10, &correct), &group);
      co_await group.wait();
      EXPECT_EQ(correct, 10000);
      const PgStats& st = pool.stats();
      EXPECT_EQ(st.queries, 10000u);
      EXPECT_EQ(st.errors, 0u);
      EXPECT_EQ(st.prepares, 2u);  // once per connection
      // Pipelining: without it every query is its own flush and round trip. How results come
      // back in batches depends on timing (a loaded CI machine answers in smaller batches), so
      // the bound is loose: at least 5 queries per flush on average (seen: 14 to 200).
      EXPECT_LT(st.flushes * 5, st.queries) << "flushes=" << st.flushes;
      std::printf("[ info     ] %llu queries in %llu flushes\n", static_cast<unsigned long long>(st.queries),
                  static_cast<unsigned long long>(st.flushes));
    }
    co_await pool.close();
  });
}

TEST(PgPool, TypedValuesAndNullsRoundTrip) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 1));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    PgTextArray tags{std::string("a,b"), std::nullopt, std::string("q\"x"), std::string("NULL"), std::string("")};
    auto res = co_await pool.execute(
        "SELECT $1::text, $2::int, $3::bigint, $4::bool, $5::text[], $6::uuid, $7::jsonb,"
        " extract(epoch FROM $8::timestamptz)::bigint, $9::text, $10::text[]",
        "héllo", 42, int64_t{1} << 40, true, tags, "0b5cb2a1-8d8c-4a37-9a0e-3b8b2d6b9c11", R"({"k": [1, 2]})",
        "2024-01-02T03:04:05Z", kPgNull, std::optional<std::vector<std::string>>());
    EXPECT_TRUE(res.ok()) << (res ? "" : res.error().message);
    if (res) {
      EXPECT_EQ(res->rows(), 1);
      EXPECT_EQ(res->text(0, 0), "héllo");
      EXPECT_EQ(*res->int32(0, 1), 42);
      EXPECT_EQ(*res->int64(0, 2), int64_t{1} << 40);
      EXPECT_TRUE(*res->boolean(0, 3));
      auto arr = res->text_array(0, 4);
      EXPECT_TRUE(arr.ok());
      if (arr) {
        EXPECT_EQ(*arr, tags);
      }
      EXPECT_EQ(res->text(0, 5), "0b5cb2a1-8d8c-4a37-9a0e-3b8b2d6b9c11");
      EXPECT_EQ(res->text(0, 6), R"({"k": [1, 2]})");
      EXPECT_EQ(*res->int64(0, 7), 1704164645);
      EXPECT_TRUE(res->is_null(0, 8));
      EXPECT_FALSE(res->opt_text(0, 8).has_value());
      EXPECT_FALSE(res->int64(0, 8).ok());
      EXPECT_TRUE(res->is_null(0, 9));
    }
    co_await pool.close();
  });
}

TEST(PgPool, ErrorsAreMappedFromSqlstate) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    auto created = co_await pool.execute("CREATE TABLE items (id int PRIMARY KEY, label text CHECK (label <> ''))");
    EXPECT_TRUE(created.ok());
    auto first = co_await pool.query(kInsertItem, 1, "one");
    EXPECT_TRUE(first.ok());
    if (first) {
      EXPECT_EQ(first->affected_rows(), 1);
    }
    auto dup = co_await pool.query(kInsertItem, 1, "again");
    EXPECT_FALSE(dup.ok());
    if (!dup) {
      EXPECT_EQ(dup.error().code, Errc::already_exists);
      EXPECT_EQ(dup.error().detail, "23505");
      EXPECT_NE(dup.error().message.find("duplicate key"), std::string::npos) << dup.error().message;
    }
    auto check = co_await pool.query(kInsertItem, 2, "");
    EXPECT_FALSE(check.ok());
    if (!check) {
      EXPECT_EQ(check.error().detail, "23514");
    }
    auto bad = co_await pool.query(kBadSql);
    EXPECT_FALSE(bad.ok());
    if (!bad) {
      EXPECT_EQ(bad.error().detail, "42601");
    }
    auto wrong_arity = co_await pool.query(kAddOne, 1, 2);
    EXPECT_FALSE(wrong_arity.ok());
    if (!wrong_arity) {
      EXPECT_EQ(wrong_arity.error().code, Errc::invalid_argument);
    }
    // The pool is fine afterwards.
    auto count = co_await pool.query(kCountItems);
    EXPECT_TRUE(count.ok());
    if (count) {
      EXPECT_EQ(*count->int64(0, 0), 1);
    }
    co_await pool.close();
  });
}

Task<void> divide(PgPool& pool, int divisor, int* ok, int* failed) {
  auto r = co_await pool.execute("SELECT 100 / $1::int", divisor);
  if (r) {
    ++*ok;
  } else if (r.error().detail == "22012") {
    ++*failed;
  }
}

TEST(PgPool, AnErrorInAPipelineStaysWithItsStatement) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 1));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    int ok = 0, failed = 0;
    TaskGroup g;
    for (int i = 0; i < 200; ++i) spawn(divide(pool, i % 50 == 7 ? 0 : 1, &ok, &failed), &g);
    co_await g.wait();
    EXPECT_EQ(failed, 4);
    EXPECT_EQ(ok, 196);
    EXPECT_LE(pool.stats().flushes, 2u);  // all 200 went out together
    co_await pool.close();
  });
}

Task<void> echo_length(PgPool& pool, std::string payload, int* correct) {
  auto r = co_await pool.execute("SELECT length($1::text)", payload);
  if (r && *r->int64(0, 0) == static_cast<int64_t>(payload.size())) ++*correct;
}

TEST(PgPool, BatchesLargerThanTheSocketBufferAreWrittenInPieces) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 1));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    // 300 x 64 KiB in one turn: about 19 MiB, far more than a socket buffer, so the flush
    // returns "more to write" and the rest goes out as the socket drains.
    int correct = 0;
    TaskGroup g;
    for (int i = 0; i < 300; ++i) spawn(echo_length(pool, std::string(65536 + i, 'a' + static_cast<char>(i % 26)), &correct), &g);
    co_await g.wait();
    EXPECT_EQ(correct, 300);
    EXPECT_LE(pool.stats().flushes, 2u);
    // Whether the socket ever pushes back depends on how fast the server drains it (it did on
    // an idle machine, not always under ASan on a loaded one), so it is reported, not asserted.
    std::printf("[ info     ] flush waits: %llu\n", static_cast<unsigned long long>(pool.stats().flush_waits));
    co_await pool.close();
  });
}

TEST(PgPool, TransactionsCommitRollBackAndRollBackWhenDropped) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    (void)co_await pool.execute("CREATE TABLE items (id int PRIMARY KEY, label text)");
    {
      auto tx = co_await pool.begin();
      EXPECT_TRUE(tx.ok());
      if (tx) {
        EXPECT_TRUE((co_await tx->query(kInsertItem, 1, "rolled back")).ok());
        EXPECT_TRUE((co_await tx->rollback()).ok());
      }
    }
    {
      auto tx = co_await pool.begin();
      if (tx) {
        EXPECT_TRUE((co_await tx->query(kInsertItem, 2, "committed")).ok());
        // Not visible to other connections before COMMIT.
        auto outside = co_await pool.query(kCountItems);
        EXPECT_TRUE(outside.ok());
        if (outside) {
          EXPECT_EQ(*outside->int64(0, 0), 0);
        }
        EXPECT_TRUE((co_await tx->commit()).ok());
      }
    }
    {
      auto tx = co_await pool.begin();
      if (tx) {
        EXPECT_TRUE((co_await tx->query(kInsertItem, 3, "dropped")).ok());
      }
      // Destroyed without commit: rolled back.
    }
    {
      auto tx = co_await pool.begin();
      if (tx) {
        auto dup = co_await tx->query(kInsertItem, 2, "duplicate");
        EXPECT_FALSE(dup.ok());
        Status c = co_await tx->commit();
        EXPECT_FALSE(c.ok());
        if (!c) {
          EXPECT_EQ(c.error().code, Errc::conflict);
        }
      }
    }
    auto rows = co_await pool.execute("SELECT id FROM items ORDER BY id");
    EXPECT_TRUE(rows.ok());
    if (rows) {
      EXPECT_EQ(rows->rows(), 1);
      EXPECT_EQ(*rows->int32(0, 0), 2);
    }
    co_await pool.close();
  });
}

TEST(PgPool, PinnedConnectionsAreNotShared) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 2));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    auto a = co_await pool.pin();
    auto b = co_await pool.pin();
    EXPECT_TRUE(a.ok() && b.ok());
    if (a && b) {
      EXPECT_NE(a->backend_pid(), b->backend_pid());
      // Both pinned: a third user waits, and gives up at its deadline.
      auto c = co_await pool.pin(deadline_after(30ms));
      EXPECT_FALSE(c.ok());
      if (!c) {
        EXPECT_EQ(c.error().code, Errc::timeout);
      }
      a->release();
      auto q = co_await pool.query(kAddOne, 1);
      EXPECT_TRUE(q.ok());
    }
    co_await pool.close();
  });
}

Task<void> expect_unavailable(PgPool& pool, std::string sql, int* unavailable, int* other) {
  auto r = co_await pool.execute(std::move(sql));
  if (!r && r.error().code == Errc::unavailable) {
    ++*unavailable;
  } else {
    ++*other;
  }
}

TEST(PgPool, KilledBackendFailsEveryPendingQueryAtOnceThenReconnects) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 1));
    PgPool killer(r, options_for(url, 1));
    Status s1 = co_await pool.start();
    Status s2 = co_await killer.start();
    EXPECT_TRUE(s1.ok() && s2.ok());
    if (s1 && s2) {
      int pid = pool.backend_pids().at(0);
      int unavailable = 0, other = 0;
      TaskGroup g;
      spawn(expect_unavailable(pool, "SELECT pg_sleep(60)", &unavailable, &other), &g);
      for (int i = 0; i < 50; ++i) spawn(expect_unavailable(pool, "SELECT " + std::to_string(i), &unavailable, &other), &g);
      // Wait (on round trips, not sleeps) until the backend is inside pg_sleep.
      bool sleeping = false;
      for (int i = 0; i < 2000 && !sleeping; ++i) {
        auto a = co_await killer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int AND state = 'active' AND query LIKE '%pg_sleep%'",
            pid);
        sleeping = a && *a->int64(0, 0) == 1;
      }
      EXPECT_TRUE(sleeping);
      auto start = Clock::now();
      auto killed = co_await killer.execute("SELECT pg_terminate_backend($1::int)", pid);
      EXPECT_TRUE(killed.ok());
      co_await g.wait();
      EXPECT_LT(Clock::now() - start, 5s);
      EXPECT_EQ(unavailable, 51);
      EXPECT_EQ(other, 0);
      // The next query reconnects and succeeds.
      auto again = co_await pool.query(kAddOne, 41);
      EXPECT_TRUE(again.ok()) << (again ? "" : again.error().message);
      if (again) {
        EXPECT_EQ(*again->int32(0, 0), 42);
      }
      EXPECT_EQ(pool.stats().connection_losses, 1u);
      EXPECT_NE(pool.backend_pids().at(0), pid);
    }
    co_await pool.close();
    co_await killer.close();
  });
}

TEST(PgPool, StatementTimeoutIsATimeoutAndTheConnectionSurvives) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgOptions o = options_for(url, 1);
    o.statement_timeout = 100ms;
    PgPool pool(r, o);
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    auto slow = co_await pool.execute("SELECT pg_sleep(10)");
    EXPECT_FALSE(slow.ok());
    if (!slow) {
      EXPECT_EQ(slow.error().code, Errc::timeout);
      EXPECT_EQ(slow.error().detail, "57014");
    }
    auto next = co_await pool.query(kAddOne, 1);
    EXPECT_TRUE(next.ok());
    EXPECT_EQ(pool.stats().connection_losses, 0u);
    co_await pool.close();
  });
}

TEST(PgPool, DeadlineFailsTheWaiterAndTheLateResultIsDiscarded) {
  REQUIRE_DB(db);
  run_reactor([url = db.url()](Reactor& r) -> Task<void> {
    PgPool pool(r, options_for(url, 1));
    if (Status s = co_await pool.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await pool.close();
      co_return;
    }
    auto start = Clock::now();
    auto slow = co_await pool.execute_params("SELECT pg_sleep(0.5)", PgParams(), deadline_after(50ms));
    EXPECT_LT(Clock::now() - start, 400ms);
    EXPECT_FALSE(slow.ok());
    if (!slow) {
      EXPECT_EQ(slow.error().code, Errc::timeout);
    }
    // Queued behind the abandoned statement on the same connection; its answer is its own.
    auto next = co_await pool.query(kAddOne, 9);
    EXPECT_TRUE(next.ok());
    if (next) {
      EXPECT_EQ(*next->int32(0, 0), 10);
    }
    co_await pool.close();
  });
}

TEST(PgPool, UnreachableServerFailsFast) {
  run_reactor([](Reactor& r) -> Task<void> {
    PgOptions o;
    o.url = "postgresql://sluice@127.0.0.1:1/none";  // port 1: connection refused
    o.connections = 1;
    PgPool pool(r, o);
    Status s = co_await pool.start();
    EXPECT_FALSE(s.ok());
    if (!s) {
      EXPECT_EQ(s.error().code, Errc::unavailable);
    }
    auto start = Clock::now();
    auto q = co_await pool.query(kAddOne, 1);
    EXPECT_FALSE(q.ok());
    if (!q) {
      EXPECT_EQ(q.error().code, Errc::unavailable);
    }
    EXPECT_LT(Clock::now() - start, 1s);
    co_await pool.close();
  });
}

// A server that comes back while every connection waits out a long backoff (PostgreSQL
// restarting: "not yet accepting connections", then a doubled delay) is used by the next query,
// not after the backoff: the query starts an attempt and waits for it. Here the database is
// created while the pool's only connection waits 30 s.
TEST(PgPool, AQueryAfterTheServerCameBackReconnectsWithoutWaitingOutTheBackoff) {
  ScopedTestDatabase db("late");
  if (!db.configured()) GTEST_FAIL() << "SLUICE_TEST_PG_URL is not set (run through tools/test)";
  run_reactor([&db](Reactor& r) -> Task<void> {
    PgOptions o = options_for(db.url(), 1);
    o.reconnect_min = 30s;
    o.reconnect_max = 30s;
    PgPool pool(r, o);
    Status started = co_await pool.start();  // the database does not exist yet
    EXPECT_FALSE(started.ok());
    auto early = co_await pool.query(kAddOne, 1);  // within demand_retry_after: fails fast
    EXPECT_FALSE(early.ok());
    std::string admin = testing::service_env("SLUICE_TEST_PG_URL");
    Status created = co_await testing::admin_database(r, admin, db.name(), false);
    EXPECT_TRUE(created.ok()) << (created ? "" : created.error().message);
    CancellableOp pause(r);
    (void)co_await pause.sleep_for(o.demand_retry_after + 50ms);
    auto start = Clock::now();
    auto q = co_await pool.query(kAddOne, 41);
    EXPECT_TRUE(q.ok()) << (q ? "" : q.error().message);
    if (q) {
      EXPECT_EQ(*q->int32(0, 0), 42);
    }
    EXPECT_LT(Clock::now() - start, 5s);
    EXPECT_EQ(pool.stats().connects, 1u);
    co_await pool.close();
    Status dropped = co_await testing::admin_database(r, admin, db.name(), true);
    EXPECT_TRUE(dropped.ok());
  });
}

}  // namespace
}  // namespace sluice
