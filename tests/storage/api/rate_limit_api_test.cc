// End to end: request rate limits (SLUICE_RATE_LIMITS): per user, per API key, per client
// address (public routes, failed authentication, forwarded through a trusted proxy); one
// principal's exhaustion never limits another; Retry-After is honest (a retry after it
// passes); a tier change applies without a restart; Redis killed mid-test falls back to
// per-core limits without a 5xx; tiers as data (list, read, replace, validation); CORS
// preflight and actual requests from an allowed and a refused origin; nosniff and HSTS.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/reactor.h"
#include "storage/service/ratelimit/client_address.h"
#include "storage/service/ratelimit/rate_limiter.h"
#include "tests/storage/service_harness.h"

extern char** environ;

namespace sluice {
namespace {

using testing::HarnessOptions;
using testing::json_field;
using testing::json_int;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

const std::string kJson = "Content-Type: application/json\r\n";

std::string admin_token(ServiceEnv& env) { return token_for(env.user("admin"), auth::Role::admin); }

HarnessOptions limited(std::function<void(ServiceConfig&)> more = nullptr) {
  HarnessOptions o;
  o.tweak = [more](ServiceConfig& c) {
    c.rate_limits = true;
    c.trusted_proxies = "127.0.0.1/32";
    if (more) more(c);
  };
  return o;
}

Task<void> sleep_ms(Reactor& r, int ms) { co_await SleepUntil(r, deadline_after(std::chrono::milliseconds(ms))); }

Task<RawResponse> set_user_rate(ServiceEnv& env, std::string user, std::string body) {
  co_return co_await env.request("PUT", "/v1/admin/users/" + user + "/rate-limit", admin_token(env), std::move(body),
                                 kJson);
}

TEST(RateLimitApi, PerUserLimitHeadersAndRefusal) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string ann = env.user("ann");
        std::string bob = env.user("bob");
        RawResponse set = co_await set_user_rate(env, ann, R"({"requestsPerMinute":60,"burst":3})");
        EXPECT_EQ(set.status, 200) << set.body;
        EXPECT_EQ(json_int(set.body, "requestsPerMinute"), 60);
        std::string tok = token_for(ann);
        for (int i = 0; i < 3; ++i) {
          RawResponse ok = co_await env.request("GET", "/v1/quota", tok);
          EXPECT_EQ(ok.status, 200) << ok.body;
          EXPECT_EQ(ok.header("ratelimit-limit"), "60");
          EXPECT_EQ(ok.header("x-ratelimit-limit"), "60");
          EXPECT_EQ(ok.header("ratelimit-remaining"), std::to_string(2 - i));
          EXPECT_EQ(ok.header("x-ratelimit-remaining"), std::to_string(2 - i));
          EXPECT_EQ(ok.header("ratelimit-policy"), "\"user\";q=60;w=60");
          EXPECT_EQ(ok.header("ratelimit"),
                    "\"user\";r=" + std::to_string(2 - i) + ";t=" + ok.header("ratelimit-reset"));
          EXPECT_FALSE(ok.header("x-ratelimit-reset").empty());
        }
        RawResponse refused = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(refused.status, 429) << refused.body;
        EXPECT_EQ(json_field(refused.body, "code"), "rate_limited");
        EXPECT_EQ(refused.header("retry-after"), "1");
        EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
        EXPECT_EQ(refused.header("ratelimit-limit"), "60");
        // A refused upload: 429 before any body byte is read (the service closes the connection).
        RawResponse up = co_await env.upload(tok, "x.bin", std::string(100, 'x'));
        EXPECT_EQ(up.status, 429) << up.body;
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE owner = '" + ann + "'"), 0);
        // Another user is not limited by ann's exhaustion.
        RawResponse other = co_await env.request("GET", "/v1/quota", token_for(bob));
        EXPECT_EQ(other.status, 200) << other.body;
        EXPECT_EQ(other.header("ratelimit-limit"), "600");  // the free tier's default
        EXPECT_EQ(other.header("ratelimit-remaining"), "99");
        // Neither is an anonymous failure from the same address.
        RawResponse anon = co_await env.request("GET", "/v1/quota", "");
        EXPECT_EQ(anon.status, 401);
      },
      limited());
}

TEST(RateLimitApi, RetryAfterIsHonest) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string cy = env.user("cy");
        EXPECT_EQ((co_await set_user_rate(env, cy, R"({"requestsPerMinute":30,"burst":2})")).status, 200);
        std::string tok = token_for(cy);
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 200);
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 200);
        RawResponse refused = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(refused.status, 429);
        int wait = std::atoi(refused.header("retry-after").c_str());
        EXPECT_GE(wait, 1);
        EXPECT_LE(wait, 2);  // one unit every 2 s
        co_await sleep_ms(env.r, wait * 1000 + 50);
        RawResponse again = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(again.status, 200) << again.body;
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 429);
        // Uploads cost 5 units: with a burst of 2 (cost capped at the burst) a fresh allowance pays one.
      },
      limited());
}

TEST(RateLimitApi, ApiKeyHasItsOwnLimitWithinItsUsers) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string dee = env.user("dee");
        std::string tok = token_for(dee);
        auto started = std::chrono::steady_clock::now();
        RawResponse created = co_await env.request("POST", "/v1/keys", tok, R"({"name":"ci"})", kJson);
        EXPECT_EQ(created.status, 201) << created.body;
        std::string id = json_field(created.body, "id");
        std::string key = json_field(created.body, "key");
        RawResponse set = co_await env.request("PUT", "/v1/admin/keys/" + id + "/rate-limit", admin_token(env),
                                               R"({"requestsPerMinute":60,"burst":2})", kJson);
        EXPECT_EQ(set.status, 200) << set.body;
        for (int i = 0; i < 2; ++i) {
          RawResponse ok = co_await env.request("GET", "/v1/quota", key);
          EXPECT_EQ(ok.status, 200) << ok.body;
          EXPECT_EQ(ok.header("ratelimit-policy"), "\"key\";q=60;w=60");  // the tighter of key and user
        }
        RawResponse refused = co_await env.request("GET", "/v1/quota", key);
        EXPECT_EQ(refused.status, 429) << refused.body;
        EXPECT_NE(refused.body.find("\"policy\":\"key\""), std::string::npos) << refused.body;
        // The user (by JWT) still has the rest of the user's allowance: 100 - 4 (the key's
        // creation, two requests through the key, this one; the refused one spent nothing).
        RawResponse user = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(user.status, 200) << user.body;
        // The free tier's 600 a minute give one unit back every 100 ms: a slow machine may have
        // earned some since the first request, never more than the time passed allows.
        int64_t earned = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                             .count() / 100 + 1;
        int64_t remaining = std::stoll("0" + user.header("ratelimit-remaining"));
        EXPECT_GE(remaining, 96) << "the refused request spent the user's allowance";
        EXPECT_LE(remaining, 96 + earned) << "fewer requests counted than were made";
        // Within its user's: a key with a generous limit of its own is still refused by its
        // user's lower one.
        RawResponse created2 = co_await env.request("POST", "/v1/keys", tok, R"({"name":"bulk"})", kJson);
        EXPECT_EQ(created2.status, 201) << created2.body;
        std::string key2 = json_field(created2.body, "key");
        EXPECT_EQ((co_await env.request("PUT", "/v1/admin/keys/" + json_field(created2.body, "id") + "/rate-limit",
                                        admin_token(env), R"({"requestsPerMinute":600000,"burst":1000})", kJson))
                      .status,
                  200);
        EXPECT_EQ((co_await set_user_rate(env, dee, R"({"requestsPerMinute":60,"burst":1})")).status, 200);
        co_await sleep_ms(env.r, 300);                        // the limit cache's TTL in this test
        (void)co_await env.request("GET", "/v1/quota", tok);  // the stale limit once, refreshing it
        RawResponse k1 = co_await env.request("GET", "/v1/quota", key2);
        RawResponse k2 = co_await env.request("GET", "/v1/quota", key2);
        EXPECT_EQ(k2.status, 429) << k1.status << " " << k2.body;
        EXPECT_NE(k2.body.find("\"policy\":\"user\""), std::string::npos) << k2.body;
        // Unknown key id: 404.
        RawResponse none = co_await env.request("PUT", "/v1/admin/keys/00000000-0000-0000-0000-000000000000/rate-limit",
                                                admin_token(env), R"({"burst":5})", kJson);
        EXPECT_EQ(none.status, 404) << none.body;
      },
      limited([](ServiceConfig& c) { c.rate_limit_cache_ttl = std::chrono::milliseconds(100); }));
}

TEST(RateLimitApi, PublicRoutesAndFailedAuthAreLimitedByClientAddress) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        // The free tier (anonymous addresses use it) down to a burst of 3.
        std::string admin = env.user("admin");
        EXPECT_EQ((co_await set_user_rate(env, admin, R"({"requestsPerMinute":60000,"burst":1000})")).status, 200);
        RawResponse tier = co_await env.request(
            "PUT", "/v1/admin/tiers/free", admin_token(env),
            R"({"quotaBytes":1073741824,"maxFileBytes":104857600,"maxFiles":100,"maxConcurrentUploads":2,"allowedMimeTypes":null,"requestsPerMinute":60,"burst":3})",
            kJson);
        EXPECT_EQ(tier.status, 200) << tier.body;
        std::string run = env.run_id;
        unsigned h = static_cast<unsigned>(std::hash<std::string>{}(run));
        std::string addr1 = "198.51." + std::to_string(h % 250) + "." + std::to_string(1 + (h / 250) % 250);
        std::string addr2 = "203.0." + std::to_string(h % 250) + "." + std::to_string(1 + (h / 250) % 250);
        std::string path = "/public/v1/files/00000000-0000-0000-0000-000000000001";
        for (int i = 0; i < 3; ++i) {
          RawResponse r = co_await env.request("GET", path, "", "", "X-Forwarded-For: " + addr1 + "\r\n");
          EXPECT_EQ(r.status, 404) << r.body;
          EXPECT_EQ(r.header("ratelimit-policy"), "\"address\";q=60;w=60");
        }
        RawResponse refused = co_await env.request("GET", path, "", "", "X-Forwarded-For: " + addr1 + "\r\n");
        EXPECT_EQ(refused.status, 429) << refused.body;
        EXPECT_FALSE(refused.header("retry-after").empty());
        // Another address (the trusted proxy forwards for someone else) is not limited.
        RawResponse other =
            co_await env.request("GET", path, "", "", "X-Forwarded-For: " + addr1 + ", " + addr2 + "\r\n");
        EXPECT_EQ(other.status, 404) << "the rightmost untrusted address is the client: " << other.body;
        // A client spoofing a header through the proxy cannot escape: the proxy appends the real one.
        RawResponse spoof = co_await env.request("GET", path, "", "", "X-Forwarded-For: 10.9.9.9, " + addr1 + "\r\n");
        EXPECT_EQ(spoof.status, 429);
        // Failed authentication is charged to the address: 401, 401, 401, then 429.
        std::string addr3 = "192.0.2." + std::to_string(1 + h % 250);
        for (int i = 0; i < 3; ++i) {
          RawResponse r =
              co_await env.request("GET", "/v1/quota", "sk_nothing_here", "", "X-Forwarded-For: " + addr3 + "\r\n");
          EXPECT_EQ(r.status, 401) << r.body;
        }
        RawResponse guessing =
            co_await env.request("GET", "/v1/quota", "sk_nothing_here", "", "X-Forwarded-For: " + addr3 + "\r\n");
        EXPECT_EQ(guessing.status, 429) << guessing.body;
        EXPECT_EQ(json_field(guessing.body, "code"), "rate_limited");
      },
      limited());
}

TEST(RateLimitApi, TierChangeAppliesWithoutRestartAndTiersAreValidated) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string admin = env.user("admin");
        EXPECT_EQ((co_await set_user_rate(env, admin, R"({"requestsPerMinute":60000,"burst":1000})")).status, 200);
        RawResponse list = co_await env.request("GET", "/v1/admin/tiers", admin_token(env));
        EXPECT_EQ(list.status, 200) << list.body;
        EXPECT_NE(list.body.find("\"name\":\"free\""), std::string::npos);
        EXPECT_NE(list.body.find("\"name\":\"pro\""), std::string::npos);
        RawResponse pro = co_await env.request("GET", "/v1/admin/tiers/pro", admin_token(env));
        EXPECT_EQ(pro.status, 200) << pro.body;
        EXPECT_EQ(json_int(pro.body, "requestsPerMinute"), 6000);
        EXPECT_EQ(json_int(pro.body, "burst"), 1000);
        EXPECT_EQ(json_int(pro.body, "maxConcurrentUploads"), 10);
        EXPECT_EQ((co_await env.request("GET", "/v1/admin/tiers/gold", admin_token(env))).status, 404);
        EXPECT_EQ((co_await env.request("GET", "/v1/admin/tiers", token_for(env.user("eve")))).status, 403);
        // Validation: a burst of 0, a missing field, a bad MIME pattern, a bad name, an unknown field.
        std::string good =
            R"("quotaBytes":1000,"maxFileBytes":100,"maxFiles":5,"maxConcurrentUploads":1,"allowedMimeTypes":["image/*","text/plain"],"requestsPerMinute":120)";
        RawResponse zero =
            co_await env.request("PUT", "/v1/admin/tiers/gold", admin_token(env), "{" + good + R"(,"burst":0})", kJson);
        EXPECT_EQ(zero.status, 400) << zero.body;
        EXPECT_NE(zero.body.find("burst"), std::string::npos);
        RawResponse missing =
            co_await env.request("PUT", "/v1/admin/tiers/gold", admin_token(env), "{" + good + "}", kJson);
        EXPECT_EQ(missing.status, 400) << missing.body;
        RawResponse mime = co_await env.request(
            "PUT", "/v1/admin/tiers/gold", admin_token(env),
            R"({"quotaBytes":1,"maxFileBytes":1,"maxFiles":1,"maxConcurrentUploads":1,"allowedMimeTypes":["*/png"],"requestsPerMinute":1,"burst":1})",
            kJson);
        EXPECT_EQ(mime.status, 400) << mime.body;
        EXPECT_EQ((co_await env.request("PUT", "/v1/admin/tiers/Gold!", admin_token(env), "{" + good + R"(,"burst":4})",
                                        kJson))
                      .status,
                  400);
        EXPECT_EQ((co_await env.request("PUT", "/v1/admin/tiers/gold", admin_token(env),
                                        "{" + good + R"(,"burst":4,"x":1})", kJson))
                      .status,
                  400);
        RawResponse gold =
            co_await env.request("PUT", "/v1/admin/tiers/gold", admin_token(env), "{" + good + R"(,"burst":4})", kJson);
        EXPECT_EQ(gold.status, 200) << gold.body;
        EXPECT_NE(gold.body.find(R"("allowedMimeTypes":["image/*","text/plain"])"), std::string::npos) << gold.body;
        EXPECT_EQ(co_await env.scalar("SELECT burst FROM sluice.tiers WHERE name = 'gold'"), 4);
        // A user of gold: 4 at once, then 429; the tier raised: allowed again within the cache TTL.
        std::string fay = env.user("fay");
        RawResponse move = co_await env.request("PUT", "/v1/admin/users/" + fay + "/quota", admin_token(env),
                                                R"({"tier":"gold"})", kJson);
        EXPECT_EQ(move.status, 200) << move.body;
        std::string tok = token_for(fay);
        for (int i = 0; i < 4; ++i) EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 200);
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 429);
        RawResponse raised = co_await env.request("PUT", "/v1/admin/tiers/gold", admin_token(env),
                                                  "{" + good + R"(,"burst":400})", kJson);
        EXPECT_EQ(raised.status, 200);
        // Stale limits are used once more while the cache refreshes in the background.
        co_await sleep_ms(env.r, 400);
        (void)co_await env.request("GET", "/v1/quota", tok);
        co_await sleep_ms(env.r, 1100);  // the refusal's Retry-After and the refresh
        RawResponse after = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(after.status, 200) << after.body;
        EXPECT_EQ(after.header("ratelimit-policy"), "\"user\";q=120;w=60");
        // A tier's allowed types apply to the next upload (admission reads tiers from PostgreSQL).
        RawResponse bad_type = co_await env.request("PUT", "/v1/files/content?name=a.bin", tok, "abc",
                                                    "Content-Type: application/octet-stream\r\n");
        EXPECT_EQ(bad_type.status, 415) << bad_type.body;
      },
      limited([](ServiceConfig& c) { c.rate_limit_cache_ttl = std::chrono::milliseconds(200); }));
}

// A private redis-server the test may kill (the shared one serves every other test).
struct PrivateRedis {
  pid_t pid = -1;
  uint16_t port = 0;
  std::string dir;
  bool start() {
    port = testing::closed_port();
    dir = std::filesystem::temp_directory_path() / ("sluice-rl-redis-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string p = std::to_string(port);
    const char* argv[] = {"redis-server", "--port", p.c_str(), "--bind",       "127.0.0.1", "--dir",
                          dir.c_str(),    "--save", "",        "--appendonly", "no",        nullptr};
    if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return false;
    for (int i = 0; i < 100; ++i) {  // until it accepts (start-up, before the reactor runs)
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void kill() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~PrivateRedis() {
    kill();
    std::filesystem::remove_all(dir);
  }
};

TEST(RateLimitApi, RedisKilledMidTestFallsBackWithoutServerErrors) {
  PrivateRedis redis;
  ASSERT_TRUE(redis.start());
  std::string url = "redis://127.0.0.1:" + std::to_string(redis.port) + "/0";
  PrivateRedis* handle = &redis;
  with_service(
      [handle](ServiceEnv& env) -> Task<void> {
        std::string gil = env.user("gil");
        EXPECT_EQ((co_await set_user_rate(env, gil, R"({"requestsPerMinute":60,"burst":3})")).status, 200);
        std::string tok = token_for(gil);
        for (int i = 0; i < 3; ++i) EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 200);
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 429);
        handle->kill();
        co_await sleep_ms(env.r, 1100);  // past the refusal's Retry-After: the next needs Redis
        // Per-core limits now: the same limit, counted here; never a 5xx.
        int ok = 0, limited = 0, other = 0;
        for (int i = 0; i < 8; ++i) {
          RawResponse r = co_await env.request("GET", "/v1/quota", tok);
          if (r.status == 200) ++ok;
          else if (r.status == 429) ++limited;
          else ++other;
          EXPECT_LT(r.status, 500) << r.body;
          if (r.status == 200) {
            EXPECT_FALSE(r.header("ratelimit-limit").empty());
          }
        }
        EXPECT_EQ(other, 0);
        EXPECT_EQ(ok, 3) << "the fallback's own allowance: the burst";
        EXPECT_EQ(limited, 5);
      },
      limited([url](ServiceConfig& c) {
        c.redis_url = url;
        c.redis_fail_open = true;
      }));
}

TEST(RateLimitApi, RedisKilledWithFailClosedAnswers503) {
  PrivateRedis redis;
  ASSERT_TRUE(redis.start());
  std::string url = "redis://127.0.0.1:" + std::to_string(redis.port) + "/0";
  PrivateRedis* handle = &redis;
  with_service(
      [handle](ServiceEnv& env) -> Task<void> {
        std::string tok = token_for(env.user("ida"));
        EXPECT_EQ((co_await env.request("GET", "/v1/quota", tok)).status, 200);
        handle->kill();
        // Its batch is spent (burst 100, batch 1): the next requests need Redis, which is gone.
        RawResponse r;
        for (int i = 0; i < 3 && r.status != 503; ++i) r = co_await env.request("GET", "/v1/quota", tok);
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_EQ(r.header("retry-after"), "1");
        EXPECT_EQ(json_field(r.body, "code"), "unavailable");
      },
      limited([url](ServiceConfig& c) {
        c.redis_url = url;
        c.redis_fail_open = false;
      }));
}

// The harness runs with SLUICE_RATE_LIMITS=off (sluice serve's default is on: TwoInstances in
// sluice_process_test checks it).
TEST(RateLimitApi, TurnedOffAddsNoRateHeaders) {
  with_service([](ServiceEnv& env) -> Task<void> {
    RawResponse r = co_await env.request("GET", "/v1/quota", token_for(env.user("hal")));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.header("ratelimit-limit").empty());
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_TRUE(r.header("access-control-allow-origin").empty());
    EXPECT_TRUE(r.header("strict-transport-security").empty());
  });
}

TEST(RateLimitApi, CorsPreflightAndActualRequests) {
  HarnessOptions o = limited();
  o.server.cors_origins = {"https://app.example.com"};
  o.server.hsts_max_age_seconds = 31536000;
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string tok = token_for(env.user("ivy"));
        RawResponse pre =
            co_await env.request("OPTIONS", "/v1/files/content", "", "",
                                 "Origin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n"
                                 "Access-Control-Request-Headers: authorization, content-type\r\n");
        EXPECT_EQ(pre.status, 204) << pre.body;
        EXPECT_EQ(pre.header("access-control-allow-origin"), "https://app.example.com");
        EXPECT_NE(pre.header("access-control-allow-methods").find("PUT"), std::string::npos);
        EXPECT_EQ(pre.header("access-control-allow-headers"), "authorization, content-type");
        EXPECT_EQ(pre.header("access-control-max-age"), "600");
        EXPECT_TRUE(pre.header("ratelimit-limit").empty()) << "a preflight is not charged";
        RawResponse refused_pre =
            co_await env.request("OPTIONS", "/v1/files/content", "", "",
                                 "Origin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n");
        EXPECT_EQ(refused_pre.status, 403);
        EXPECT_TRUE(refused_pre.header("access-control-allow-origin").empty());
        RawResponse actual = co_await env.request("GET", "/v1/quota", tok, "", "Origin: https://app.example.com\r\n");
        EXPECT_EQ(actual.status, 200);
        EXPECT_EQ(actual.header("access-control-allow-origin"), "https://app.example.com");
        std::string exposed = actual.header("access-control-expose-headers");
        for (const char* h : {"ETag", "Location", "Upload-Offset", "RateLimit-Limit", "RateLimit-Remaining",
                              "RateLimit-Reset", "RateLimit-Policy", "X-RateLimit-Limit", "Retry-After", "X-Request-Id",
                              "Content-Range", "Content-Disposition"})
          EXPECT_NE(exposed.find(h), std::string::npos) << h;
        EXPECT_EQ(actual.header("vary"), "Origin");
        EXPECT_EQ(actual.header("strict-transport-security"), "max-age=31536000; includeSubDomains");
        EXPECT_EQ(actual.header("x-content-type-options"), "nosniff");
        RawResponse foreign = co_await env.request("GET", "/v1/quota", tok, "", "Origin: https://evil.example\r\n");
        EXPECT_EQ(foreign.status, 200);  // the browser, not the server, withholds it
        EXPECT_TRUE(foreign.header("access-control-allow-origin").empty());
        EXPECT_TRUE(foreign.header("access-control-expose-headers").empty());
        // Errors carry the CORS headers too (a browser script can read a 401 or 429).
        RawResponse unauth = co_await env.request("GET", "/v1/quota", "", "", "Origin: https://app.example.com\r\n");
        EXPECT_EQ(unauth.status, 401);
        EXPECT_EQ(unauth.header("access-control-allow-origin"), "https://app.example.com");
      },
      o);
}

TEST(ClientAddress, OnlyTrustedProxiesForward) {
  auto none = TrustedProxies::parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4", "", *none), "127.0.0.1");
  auto t = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1, ::1/128");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->contains("10.200.3.4"));
  EXPECT_FALSE(t->contains("11.0.0.1"));
  EXPECT_TRUE(t->contains("::1"));
  EXPECT_EQ(client_address("192.0.2.9", "1.2.3.4", "", *t), "192.0.2.9");  // not a proxy: ignored
  EXPECT_EQ(client_address("10.1.1.1", "1.2.3.4", "", *t), "1.2.3.4");
  EXPECT_EQ(client_address("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.0.0.7", "", *t), "1.2.3.4");
  EXPECT_EQ(client_address("10.1.1.1", "", "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"", *t), "2001:db8::1");
  EXPECT_EQ(client_address("10.1.1.1", "", "", *t), "10.1.1.1");
  EXPECT_EQ(client_address("10.1.1.1", "garbage", "", *t), "10.1.1.1");
  EXPECT_FALSE(TrustedProxies::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(TrustedProxies::parse("nonsense").ok());
}

TEST(RateLimiterBatch, BatchIsAHundredMillisecondsOfTheRate) {
  EXPECT_EQ(RateLimiter::batch_for(RateLimit{600, 100}), 1);
  EXPECT_EQ(RateLimiter::batch_for(RateLimit{6000, 1000}), 10);
  EXPECT_EQ(RateLimiter::batch_for(RateLimit{6000000, 100000}), 1000);
  EXPECT_EQ(RateLimiter::batch_for(RateLimit{600000000, 100000000}), 1000);  // the absolute cap
  EXPECT_EQ(RateLimiter::batch_for(RateLimit{60000, 8}), 2);  // at most a quarter of the burst
}

}  // namespace
}  // namespace sluice
