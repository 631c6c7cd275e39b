// ApiKeyStore against real PostgreSQL with a stepped clock: cached keys survive a revocation
// made behind the cache's back until the TTL, unknown prefixes are cached negatively for the
// short TTL, forget() takes effect at once, and the cache never grows past its bound.
#include <gtest/gtest.h>

#include "storage/service/auth/api_key.h"
#include "storage/service/auth/api_key_store.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::ServiceEnv;
using testing::with_service;

Deadline g_now = Clock::now();
Deadline fake_now() { return g_now; }

ApiKeyStoreOptions stepped(size_t max_entries = 100) {
  ApiKeyStoreOptions o;
  o.ttl = 30s;
  o.negative_ttl = 5s;
  o.max_entries = max_entries;
  o.clock = &fake_now;
  return o;
}

// Inserts a key for `owner` straight into the table; returns the full key.
Task<std::string> insert_key(ServiceEnv& env, std::string owner) {
  auto k = auth::generate_api_key();
  EXPECT_TRUE(k.ok());
  if (!k.ok()) co_return "";
  auto acc =
      co_await env.check->execute("INSERT INTO sluice.accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING", owner);
  EXPECT_TRUE(acc.ok());
  auto ins = co_await env.check->execute("INSERT INTO sluice.api_keys (owner, prefix, secret_hash) VALUES ($1, $2, $3)",
                                         owner, k->prefix, k->secret_hash);
  EXPECT_TRUE(ins.ok()) << (ins.ok() ? "" : ins.error().message);
  co_return k->full_key;
}

Task<Result<Principal>> lookup(ApiKeyStore& store, std::string full_key) {
  auto p = auth::parse_api_key(full_key);
  if (!p.ok()) co_return std::move(p).error();
  co_return co_await store.lookup(p->prefix, p->secret, static_cast<int64_t>(time(nullptr)));
}

TEST(ApiKeyStore, CachedUntilTtlThenRevocationSeen) {
  with_service([](ServiceEnv& env) -> Task<void> {
    TaskGroup bg;
    ApiKeyStore store(*env.check, bg, stepped());
    std::string user = env.user("ivy");
    std::string key = co_await insert_key(env, user);
    auto who = co_await lookup(store, key);
    EXPECT_TRUE(who.ok());
    if (!who.ok()) co_return;
    EXPECT_EQ(who->user_id, user);
    EXPECT_EQ(who->role, auth::Role::user);
    EXPECT_TRUE(who->via_api_key);
    EXPECT_EQ(store.stats().misses, 1u);
    // Revoked behind the cache's back: still accepted from the cache until the TTL passes.
    (void)co_await env.scalar("UPDATE sluice.api_keys SET revoked_at = now() RETURNING 0");
    g_now += 29s;
    EXPECT_TRUE((co_await lookup(store, key)).ok());
    EXPECT_EQ(store.stats().hits, 1u);
    g_now += 2s;
    auto after = co_await lookup(store, key);
    EXPECT_FALSE(after.ok());
    if (!after.ok()) {
      EXPECT_EQ(after.error().code, Errc::unauthenticated);
    }
    EXPECT_EQ(store.stats().misses, 2u);
    co_await bg.wait();
  });
}

TEST(ApiKeyStore, ForgetTakesEffectAtOnce) {
  with_service([](ServiceEnv& env) -> Task<void> {
    TaskGroup bg;
    ApiKeyStore store(*env.check, bg, stepped());
    std::string key = co_await insert_key(env, env.user("jack"));
    EXPECT_TRUE((co_await lookup(store, key)).ok());
    (void)co_await env.scalar("UPDATE sluice.api_keys SET revoked_at = now() RETURNING 0");
    store.forget(auth::parse_api_key(key)->prefix);
    EXPECT_FALSE((co_await lookup(store, key)).ok());
    co_await bg.wait();
  });
}

TEST(ApiKeyStore, UnknownPrefixesAreCachedBriefly) {
  with_service([](ServiceEnv& env) -> Task<void> {
    TaskGroup bg;
    ApiKeyStore store(*env.check, bg, stepped());
    auto k = auth::generate_api_key();
    EXPECT_TRUE(k.ok());
    if (!k.ok()) co_return;
    EXPECT_FALSE((co_await lookup(store, k->full_key)).ok());
    EXPECT_EQ(store.stats().misses, 1u);
    // The key appears in the table; the negative entry hides it for negative_ttl only.
    (void)co_await env.check->execute("INSERT INTO sluice.accounts (user_id) VALUES ($1)", env.user("kim"));
    (void)co_await env.check->execute("INSERT INTO sluice.api_keys (owner, prefix, secret_hash) VALUES ($1, $2, $3)",
                                      env.user("kim"), k->prefix, k->secret_hash);
    g_now += 4s;
    EXPECT_FALSE((co_await lookup(store, k->full_key)).ok());
    EXPECT_EQ(store.stats().misses, 1u);
    g_now += 2s;
    EXPECT_TRUE((co_await lookup(store, k->full_key)).ok());
    EXPECT_EQ(store.stats().misses, 2u);
    EXPECT_EQ(store.stats().rejected, 2u);
    co_await bg.wait();
  });
}

TEST(ApiKeyStore, CacheIsBounded) {
  with_service([](ServiceEnv& env) -> Task<void> {
    TaskGroup bg;
    ApiKeyStore store(*env.check, bg, stepped(8));
    for (int i = 0; i < 40; ++i) {
      auto k = auth::generate_api_key();
      if (!k.ok()) break;
      (void)co_await lookup(store, k->full_key);
      EXPECT_LE(store.cached(), 8u);
    }
    EXPECT_GT(store.stats().evictions, 0u);
    std::string key = co_await insert_key(env, env.user("lee"));
    EXPECT_TRUE((co_await lookup(store, key)).ok());
    EXPECT_TRUE((co_await lookup(store, key)).ok());
    EXPECT_LE(store.cached(), 8u);
    co_await bg.wait();
  });
}

}  // namespace
}  // namespace sluice
