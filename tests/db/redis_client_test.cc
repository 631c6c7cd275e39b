// Integration tests for RedisClient against the real Redis of SLUICE_TEST_REDIS_URL:
// pipelining, scripts, a killed connection, SELECT and ACL AUTH from the URL.
#include "db/redis_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/cancellable_op.h"
#include "core/task.h"
#include "tests/db/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

std::string key(const char* name) { return "sluice_test:" + std::to_string(::getpid()) + ":" + name; }

// The test URL with its database number replaced and credentials added.
std::string redis_url(const std::string& base, int db, const std::string& creds = "") {
  std::string rest = base.substr(std::string("redis://").size());
  std::string hostport = rest.substr(0, rest.find('/'));
  return "redis://" + (creds.empty() ? "" : creds + "@") + hostport + "/" + std::to_string(db);
}

#define REQUIRE_REDIS(var)                                                                            \
  std::string var = testing::service_env("SLUICE_TEST_REDIS_URL");                                    \
  if (var.empty()) GTEST_FAIL() << "SLUICE_TEST_REDIS_URL is not set (run through tools/test)"

Result<RedisOptions> options_for(const std::string& url) {
  auto o = RedisOptions::from_url(url);
  if (o) o->command_timeout = 20s;
  return o;
}

Task<void> incr_many(RedisClient& c, std::string k, int n, int* ok) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await c.call("INCR", k);
    if (r && r->type == RedisReply::Type::integer) ++*ok;
  }
}

TEST(RedisClient, TenThousandPipelinedIncrsCountExactly) {
  REQUIRE_REDIS(url);
  auto opts = options_for(url);
  ASSERT_TRUE(opts.ok()) << opts.error().message;
  run_reactor([o = *opts](Reactor& r) -> Task<void> {
    RedisClient c(r, o);
    Status s = co_await c.start();
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
    if (s) {
      std::string k = key("counter");
      (void)co_await c.call("DEL", k);
      int ok = 0;
      TaskGroup g;
      for (int i = 0; i < 100; ++i) spawn(incr_many(c, k, 100, &ok), &g);
      co_await g.wait();
      EXPECT_EQ(ok, 10000);
      auto v = co_await c.call("GET", k);
      EXPECT_TRUE(v.ok());
      if (v) {
        EXPECT_EQ(v->str, "10000");
      }
      EXPECT_LT(c.stats().flushes * 20, c.stats().commands) << "flushes=" << c.stats().flushes;
      std::printf("[ info     ] %llu commands in %llu sends\n", static_cast<unsigned long long>(c.stats().commands),
                  static_cast<unsigned long long>(c.stats().flushes));
      (void)co_await c.call("DEL", k);
    }
    co_await c.close();
  });
}

TEST(RedisClient, RepliesOfEveryTypeAndErrorReplies) {
  REQUIRE_REDIS(url);
  auto opts = options_for(url);
  ASSERT_TRUE(opts.ok());
  run_reactor([o = *opts](Reactor& r) -> Task<void> {
    RedisClient c(r, o);
    if (Status s = co_await c.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await c.close();
      co_return;
    }
    std::string k = key("list");
    (void)co_await c.call("DEL", k);
    auto pushed = co_await c.call("RPUSH", k, "a", std::string("b\r\nc"), 3);
    EXPECT_TRUE(pushed.ok() && pushed->integer == 3);
    auto range = co_await c.call("LRANGE", k, 0, -1);
    EXPECT_TRUE(range.ok());
    if (range) {
      EXPECT_EQ(range->type, RedisReply::Type::array);
      EXPECT_EQ(range->elements.size(), 3u);
      if (range->elements.size() == 3) {
        EXPECT_EQ(range->elements[1].str, "b\r\nc");
      }
    }
    auto missing = co_await c.call("GET", key("missing"));
    EXPECT_TRUE(missing.ok() && missing->is_nil());
    auto wrong = co_await c.call("INCR", k);
    EXPECT_FALSE(wrong.ok());
    if (!wrong) {
      EXPECT_EQ(wrong.error().detail, "WRONGTYPE");
    }
    auto pong = co_await c.call("PING");
    EXPECT_TRUE(pong.ok() && pong->type == RedisReply::Type::status && pong->str == "PONG");
    (void)co_await c.call("DEL", k);
    co_await c.close();
  });
}

TEST(RedisClient, EvalShaReloadsTheScriptAfterScriptFlush) {
  REQUIRE_REDIS(url);
  auto opts = options_for(url);
  ASSERT_TRUE(opts.ok());
  run_reactor([o = *opts](Reactor& r) -> Task<void> {
    RedisClient c(r, o);
    if (Status s = co_await c.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await c.close();
      co_return;
    }
    RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    std::string k = key("script");
    (void)co_await c.call("DEL", k);
    // (Arguments built as named vectors: g++ 12 rejects init-lists in coroutine bodies here.)
    std::vector<std::string> keys(1, k);
    auto a = co_await c.eval(script, keys, std::vector<std::string>(1, "5"), deadline_after(5s));
    EXPECT_TRUE(a.ok() && a->integer == 5) << (a ? "" : a.error().message);
    EXPECT_TRUE((co_await c.call("SCRIPT", "FLUSH")).ok());
    uint64_t loads = c.stats().script_loads;
    auto b = co_await c.eval(script, keys, std::vector<std::string>(1, "2"), deadline_after(5s));
    EXPECT_TRUE(b.ok() && b->integer == 7) << (b ? "" : b.error().message);
    EXPECT_EQ(c.stats().script_loads, loads + 1);
    auto cached = co_await c.eval(script, keys, std::vector<std::string>(1, "1"), deadline_after(5s));
    EXPECT_TRUE(cached.ok() && cached->integer == 8);
    EXPECT_EQ(c.stats().script_loads, loads + 1);
    (void)co_await c.call("DEL", k);
    co_await c.close();
  });
}

Task<void> expect_unavailable(RedisClient& c, std::vector<std::string> cmd, int* unavailable, int* other) {
  auto r = co_await c.command(std::move(cmd));
  if (!r && r.error().code == Errc::unavailable) {
    ++*unavailable;
  } else {
    ++*other;
  }
}

TEST(RedisClient, KilledConnectionFailsEveryPendingCommandAtOnceThenReconnects) {
  REQUIRE_REDIS(url);
  auto opts = options_for(url);
  ASSERT_TRUE(opts.ok());
  run_reactor([o = *opts](Reactor& r) -> Task<void> {
    RedisClient c(r, o);
    RedisClient killer(r, o);
    Status s1 = co_await c.start();
    Status s2 = co_await killer.start();
    EXPECT_TRUE(s1.ok() && s2.ok());
    if (s1 && s2) {
      auto id = co_await c.call("CLIENT", "ID");
      EXPECT_TRUE(id.ok());
      int unavailable = 0, other = 0;
      TaskGroup g;
      std::string list = key("never");
      std::vector<std::string> blpop;
      blpop.push_back("BLPOP");
      blpop.push_back(list);
      blpop.push_back("60");
      std::vector<std::string> incr;
      incr.push_back("INCR");
      incr.push_back(key("behind"));
      spawn(expect_unavailable(c, blpop, &unavailable, &other), &g);
      for (int i = 0; i < 50; ++i) spawn(expect_unavailable(c, incr, &unavailable, &other), &g);
      // Wait (on round trips) until the connection is blocked in BLPOP.
      bool blocked = false;
      for (int i = 0; i < 2000 && !blocked && id; ++i) {
        auto info = co_await killer.call("CLIENT", "LIST", "ID", id->integer);
        blocked = info && info->str.find("cmd=blpop") != std::string::npos;
      }
      EXPECT_TRUE(blocked);
      auto start = Clock::now();
      auto killed = co_await killer.call("CLIENT", "KILL", "ID", id ? id->integer : 0);
      EXPECT_TRUE(killed.ok() && killed->integer == 1);
      co_await g.wait();
      EXPECT_LT(Clock::now() - start, 5s);
      EXPECT_EQ(unavailable, 51);
      EXPECT_EQ(other, 0);
      auto again = co_await c.call("PING");
      EXPECT_TRUE(again.ok()) << (again ? "" : again.error().message);
      EXPECT_EQ(c.stats().connection_losses, 1u);
      (void)co_await killer.call("DEL", key("behind"));
    }
    co_await c.close();
    co_await killer.close();
  });
}

TEST(RedisClient, DeadlineFailsTheWaiterAndTheConnectionStaysUsable) {
  REQUIRE_REDIS(url);
  auto opts = options_for(url);
  ASSERT_TRUE(opts.ok());
  run_reactor([o = *opts](Reactor& r) -> Task<void> {
    RedisClient c(r, o);
    if (Status s = co_await c.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await c.close();
      co_return;
    }
    std::vector<std::string> blpop;
    blpop.push_back("BLPOP");
    blpop.push_back(key("empty"));
    blpop.push_back("0.3");
    auto start = Clock::now();
    auto blocked = co_await c.command(blpop, deadline_after(30ms));
    EXPECT_LT(Clock::now() - start, 250ms);
    EXPECT_FALSE(blocked.ok());
    if (!blocked) {
      EXPECT_EQ(blocked.error().code, Errc::timeout);
    }
    // Answered after the BLPOP's late nil reply, which is discarded.
    auto echo = co_await c.call("ECHO", "after");
    EXPECT_TRUE(echo.ok() && echo->str == "after");
    EXPECT_EQ(c.stats().connection_losses, 0u);
    co_await c.close();
  });
}

TEST(RedisClient, DatabaseNumberFromUrlIsSelected) {
  REQUIRE_REDIS(url);
  auto db0 = options_for(redis_url(url, 0));
  auto db2 = options_for(redis_url(url, 2));
  ASSERT_TRUE(db0.ok() && db2.ok());
  ASSERT_EQ(db2->db, 2);
  run_reactor([o0 = *db0, o2 = *db2](Reactor& r) -> Task<void> {
    RedisClient c0(r, o0);
    RedisClient c2(r, o2);
    Status s0 = co_await c0.start();
    Status s2 = co_await c2.start();
    EXPECT_TRUE(s0.ok() && s2.ok());
    if (s0 && s2) {
      std::string k = key("db");
      EXPECT_TRUE((co_await c2.call("SET", k, "in-two")).ok());
      auto from0 = co_await c0.call("GET", k);
      EXPECT_TRUE(from0.ok() && from0->is_nil());
      auto from2 = co_await c2.call("GET", k);
      EXPECT_TRUE(from2.ok() && from2->str == "in-two");
      auto info = co_await c2.call("CLIENT", "INFO");
      EXPECT_TRUE(info.ok() && info->str.find(" db=2 ") != std::string::npos);
      (void)co_await c2.call("DEL", k);
    }
    co_await c0.close();
    co_await c2.close();
  });
}

TEST(RedisClient, AclUserAndPasswordFromUrlAuthenticate) {
  REQUIRE_REDIS(url);
  auto admin_opts = options_for(url);
  std::string user = "sluice_test_" + std::to_string(::getpid());
  auto good = options_for(redis_url(url, 0, user + ":p%40ss"));
  auto bad = options_for(redis_url(url, 0, user + ":wrong"));
  ASSERT_TRUE(admin_opts.ok() && good.ok() && bad.ok());
  EXPECT_EQ(good->password, "p@ss");
  run_reactor([a = *admin_opts, g = *good, b = *bad, user](Reactor& r) -> Task<void> {
    RedisClient admin(r, a);
    if (Status s = co_await admin.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await admin.close();
      co_return;
    }
    // A temporary ACL user (removed below); the server's default user stays as it was.
    auto made = co_await admin.call("ACL", "SETUSER", user, "on", ">p@ss", "~*", "+@all");
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
    {
      RedisClient ok_client(r, g);
      Status s = co_await ok_client.start();
      EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
      auto who = co_await ok_client.call("ACL", "WHOAMI");
      EXPECT_TRUE(who.ok() && who->str == user);
      co_await ok_client.close();
    }
    {
      RedisClient bad_client(r, b);
      Status s = co_await bad_client.start();
      EXPECT_FALSE(s.ok());
      if (!s) {
        EXPECT_EQ(s.error().code, Errc::unauthenticated) << s.error().message;
      }
      co_await bad_client.close();
    }
    EXPECT_TRUE((co_await admin.call("ACL", "DELUSER", user)).ok());
    co_await admin.close();
  });
}

// A server that refused the client (here: its ACL user did not exist yet) and then accepts it
// serves the next command at once, not after the reconnect backoff (30 s here) has run out.
TEST(RedisClient, ACommandAfterTheServerCameBackReconnectsWithoutWaitingOutTheBackoff) {
  REQUIRE_REDIS(url);
  auto admin_opts = options_for(url);
  std::string user = "sluice_late_" + std::to_string(::getpid());
  auto late = options_for(redis_url(url, 0, user + ":late"));
  ASSERT_TRUE(admin_opts.ok() && late.ok());
  late->reconnect_min = 30s;
  late->reconnect_max = 30s;
  run_reactor([a = *admin_opts, l = *late, user](Reactor& r) -> Task<void> {
    RedisClient admin(r, a);
    if (Status s = co_await admin.start(); !s) {
      ADD_FAILURE() << s.error().message;
      co_await admin.close();
      co_return;
    }
    RedisClient client(r, l);
    Status started = co_await client.start();  // no such user yet
    EXPECT_FALSE(started.ok());
    auto early = co_await client.call("PING");  // within demand_retry_after: fails fast
    EXPECT_FALSE(early.ok());
    auto made = co_await admin.call("ACL", "SETUSER", user, "on", ">late", "~*", "+@all");
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
    CancellableOp pause(r);
    (void)co_await pause.sleep_for(l.demand_retry_after + 50ms);
    auto start = Clock::now();
    auto pong = co_await client.call("PING");
    EXPECT_TRUE(pong.ok()) << (pong ? "" : pong.error().message);
    EXPECT_LT(Clock::now() - start, 5s);
    EXPECT_EQ(client.stats().connects, 1u);
    co_await client.close();
    EXPECT_TRUE((co_await admin.call("ACL", "DELUSER", user)).ok());
    co_await admin.close();
  });
}

}  // namespace
}  // namespace sluice
