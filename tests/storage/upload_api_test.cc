// End to end: the upload API on a real reactor with real PostgreSQL, Redis and the local store
// (and, in the S3 variants, moto): uploads read back byte for byte, every refusal with its status,
// failure paths leave nothing reserved, leased or stored, and limits hold under concurrency.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <random>
#include <string>

#include "db/migrations.h"
#include "db/redis_client.h"
#include "http/http_server.h"
#include "storage/api/health_routes.h"
#include "storage/auth/jwt.h"
#include "storage/service.h"
#include "tests/db/reactor_fixture.h"
#include "tests/support/raw_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::run_reactor;
using testing::ScopedTestDatabase;
using testing::service_env;

const std::string kSecret = "test-secret-0123456789abcdef-0123456789";

std::string token_for(const std::string& user, auth::Role role = auth::Role::user, int64_t ttl = 600) {
  auth::Claims c;
  c.sub = user;
  c.role = role;
  return auth::mint_hs256(c, kSecret, static_cast<int64_t>(time(nullptr)), ttl);
}

std::string pattern_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Everything one test needs: a fresh database, a store directory, the service on one core and
// its HTTP server, plus a pool for checking the database directly.
struct Env {
  Reactor& r;
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<PgPool> check;
  std::unique_ptr<RedisClient> redis;
  std::string store_dir;
  std::string run_id;

  uint16_t port() const { return server->port(); }
  std::string user(const std::string& name) const { return name + "-" + run_id; }

  Task<Result<RawResponse>> call(std::string request) {
    auto c = co_await RawHttpClient::connect(r, port());
    if (!c.ok()) co_return std::move(c).error();
    (void)co_await (*c)->send(std::move(request));
    auto resp = co_await (*c)->read_response(10s);
    co_await (*c)->close();
    co_return resp;
  }
  Task<Result<RawResponse>> upload(std::string token, std::string query, std::string body, std::string extra = "") {
    std::string req = "PUT /v1/files/content?" + query + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
    co_return co_await call(std::move(req));
  }
  Task<Result<RawResponse>> get(std::string token, std::string path, std::string extra = "") {
    co_return co_await call("GET " + path + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\n" + extra +
                            "\r\n");
  }
  Task<int64_t> scalar(std::string sql) {
    auto res = co_await check->execute(std::move(sql));
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    if (!res.ok() || res->rows() == 0 || res->is_null(0, 0)) co_return -1;
    co_return *res->int64(0, 0);
  }
  Task<int64_t> leases_of(std::string user) {
    std::vector<std::string> drop{"ZREMRANGEBYSCORE", "sluice:leases:{" + user + "}", "-inf",
                                  std::to_string(static_cast<int64_t>(time(nullptr)) * 1000)};
    (void)co_await redis->command(std::move(drop), deadline_after(2s));
    std::vector<std::string> card{"ZCARD", "sluice:leases:{" + user + "}"};
    auto r = co_await redis->command(std::move(card), deadline_after(2s));
    co_return r.ok() ? r->integer : -1;
  }
  size_t stored_objects() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(store_dir, ec);
         it != std::filesystem::recursive_directory_iterator(); ++it)
      if (it->is_regular_file() && it->path().string().find("/objects/") != std::string::npos) ++n;
    return n;
  }
};

template <class F>
void with_env(F test, std::function<void(ServiceConfig&)> tweak = {}) {
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  ScopedTestDatabase db("upload");
  ASSERT_TRUE(db.create());
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-upload-" + db.name());
  std::filesystem::create_directories(dir);
  ServiceConfig cfg;
  cfg.pg_url = db.url();
  cfg.redis_url = service_env("SLUICE_TEST_REDIS_URL");
  cfg.local_dir = dir;
  cfg.jwt_secret = kSecret;
  cfg.slots_per_core = 64;
  if (tweak) tweak(cfg);
  run_reactor([&, cfg, dir](Reactor& r) -> Task<void> {
    PgOptions po;
    po.url = cfg.pg_url;
    po.connections = 1;
    auto check = std::make_unique<PgPool>(r, po);
    Status pg_started = co_await check->start();
    EXPECT_TRUE(pg_started.ok());
    auto migrated = co_await apply_migrations(*check);
    EXPECT_TRUE(migrated.ok()) << (migrated.ok() ? "" : migrated.error().message);
    auto svc = Service::create(cfg, 1);
    EXPECT_TRUE(svc.ok()) << (svc.ok() ? "" : svc.error().message);
    if (!svc.ok()) co_return;
    auto ro = RedisOptions::from_url(cfg.redis_url);
    auto redis = std::make_unique<RedisClient>(r, *ro);
    Status redis_started = co_await redis->start();
    EXPECT_TRUE(redis_started.ok());
    Env env{r, std::move(*svc), Router(), nullptr, std::move(check), std::move(redis), dir, db.name()};
    auto started = co_await env.service->start_core(r);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    env.service->add_routes(env.router);
    env.server = std::make_unique<HttpServer>(r, env.router, ServerOptions{});
    EXPECT_TRUE(env.server->listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    co_await test(env);
    co_await env.server->drain(5s);
    co_await env.service->stop_core(r);
    co_await env.check->close();
    co_await env.redis->close();
  });
  std::filesystem::remove_all(dir);
}

TEST(UploadApi, UploadsReadBackByteForByte) {
  with_env([](Env& env) -> Task<void> {
    std::string tok = token_for(env.user("alice"));
    for (size_t size : {size_t{0}, size_t{1}, size_t{(5u << 20) + 1}}) {
      std::string body = pattern_bytes(size, static_cast<unsigned>(size));
      auto up = co_await env.upload(tok, "path=%2Fdocs&name=f" + std::to_string(size) + ".bin", body,
                                    "Content-Type: application/octet-stream\r\n");
      EXPECT_TRUE(up.ok());
      if (!up.ok()) co_return;
      EXPECT_EQ(up->status, 201) << up->body;
      auto idpos = up->body.find("\"id\":\"");
      std::string id = up->body.substr(idpos + 6, 36);
      EXPECT_NE(up->body.find("\"size\":" + std::to_string(size)), std::string::npos);
      EXPECT_NE(up->body.find("\"status\":\"available\""), std::string::npos);
      auto down = co_await env.get(tok, "/v1/files/" + id + "/content");
      EXPECT_TRUE(down.ok());
      if (!down.ok()) co_return;
      EXPECT_EQ(down->status, 200);
      EXPECT_TRUE(down->body == body) << "content differs for size " << size;
      if (size > 10) {
        auto part = co_await env.get(tok, "/v1/files/" + id + "/content", "Range: bytes=3-9\r\n");
        EXPECT_EQ(part->status, 206);
        EXPECT_EQ(part->body, body.substr(3, 7));
        EXPECT_EQ(part->header("content-range"), "bytes 3-9/" + std::to_string(size));
        auto bad = co_await env.get(tok, "/v1/files/" + id + "/content", "Range: bytes=" + std::to_string(size) + "-\r\n");
        EXPECT_EQ(bad->status, 416);
      }
    }
    int64_t used = co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + env.user("alice") + "'");
    EXPECT_EQ(used, static_cast<int64_t>((5u << 20) + 2));
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 3);
  });
}

TEST(UploadApi, RefusalsHaveStatusAndJson) {
  with_env([](Env& env) -> Task<void> {
    std::string alice = env.user("alice");
    std::string tok = token_for(alice);
    // No token, bad signature, expired, alg none.
    auto none = co_await env.call("PUT /v1/files/content?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx");
    EXPECT_EQ(none->status, 401);
    EXPECT_FALSE(none->header("www-authenticate").empty());
    std::string forged = tok.substr(0, tok.rfind('.') + 1) + "AAAA" + tok.substr(tok.rfind('.') + 5);
    EXPECT_EQ((co_await env.upload(forged, "name=a", "x"))->status, 401);
    EXPECT_EQ((co_await env.upload(token_for(alice, auth::Role::user, -120), "name=a", "x"))->status, 401);
    std::string alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + tok.substr(tok.find('.') + 1, tok.rfind('.') - tok.find('.') - 1) + ".";
    EXPECT_EQ((co_await env.upload(alg_none, "name=a", "x"))->status, 401);
    // Traversal and bad names.
    for (std::string q : {"name=..", "name=a%2Fb", "name=a%00b", "path=%2F..%2Fetc&name=a", "name=", "name=a%5Cb"}) {
      auto r = co_await env.upload(tok, q, "x");
      EXPECT_EQ(r->status, 400) << q;
      EXPECT_NE(r->body.find("\"error\""), std::string::npos);
    }
    // Too large for the tier (free: 100 MiB per file): refused before any body byte, with 100-continue.
    auto c = co_await RawHttpClient::connect(env.r, env.port());
    (void)co_await (*c)->send("PUT /v1/files/content?name=big HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                              "\r\nContent-Length: 209715200\r\nExpect: 100-continue\r\n\r\n");
    auto big = co_await (*c)->read_response(5s);
    EXPECT_TRUE(big.ok());
    if (big.ok()) {
      EXPECT_EQ(big->status, 413);  // a final answer, not "100 Continue": the body is never sent
      EXPECT_NE(big->body.find("file_too_large"), std::string::npos);
    }
    co_await (*c)->close();
    // Account full: 507 with usage in the details.
    (void)co_await env.scalar("INSERT INTO sluice.accounts (user_id, quota_bytes_override) VALUES ('" + alice +
                              "', 100) ON CONFLICT (user_id) DO UPDATE SET quota_bytes_override = 100 RETURNING 0");
    auto full = co_await env.upload(tok, "name=full.bin", std::string(101, 'x'));
    EXPECT_EQ(full->status, 507);
    EXPECT_NE(full->body.find("quota_exceeded"), std::string::npos);
    EXPECT_NE(full->body.find("\"quotaBytes\":100"), std::string::npos);
    // A MIME type the tier does not allow.
    (void)co_await env.scalar(
        "INSERT INTO sluice.tiers (name, quota_bytes, max_file_bytes, max_files, max_concurrent_uploads, "
        "allowed_mime_types) VALUES ('images', 1000000, 1000000, 10, 2, '{image/*}') RETURNING 0");
    (void)co_await env.scalar("UPDATE sluice.accounts SET tier = 'images', quota_bytes_override = NULL WHERE user_id = '" +
                              alice + "' RETURNING 0");
    EXPECT_EQ((co_await env.upload(tok, "name=a.pdf", "x", "Content-Type: application/pdf\r\n"))->status, 415);
    EXPECT_EQ((co_await env.upload(tok, "name=a.png", "x", "Content-Type: image/png\r\n"))->status, 201);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes + reserved_files FROM sluice.accounts WHERE user_id = '" + alice + "'"), 0);
  });
}

TEST(UploadApi, OthersFilesDoNotExist) {
  with_env([](Env& env) -> Task<void> {
    std::string a = token_for(env.user("a")), b = token_for(env.user("b"));
    auto up = co_await env.upload(a, "name=secret.txt", "top secret");
    EXPECT_EQ(up->status, 201);
    std::string id = up->body.substr(up->body.find("\"id\":\"") + 6, 36);
    EXPECT_EQ((co_await env.get(b, "/v1/files/" + id))->status, 404);
    EXPECT_EQ((co_await env.get(b, "/v1/files/" + id + "/content"))->status, 404);
    EXPECT_EQ((co_await env.get(a, "/v1/files/" + id))->status, 200);
    EXPECT_EQ((co_await env.get(token_for(env.user("root"), auth::Role::admin), "/v1/files/" + id))->status, 200);
    EXPECT_EQ((co_await env.get(a, "/v1/files/not-a-uuid"))->status, 404);
  });
}

TEST(UploadApi, FailurePathsReleaseEverything) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("quitter");
    std::string tok = token_for(user);
    // Client disconnects half-way through its body.
    auto c = co_await RawHttpClient::connect(env.r, env.port());
    (void)co_await (*c)->send("PUT /v1/files/content?name=half.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                              "\r\nContent-Length: 1000000\r\n\r\n" + std::string(300000, 'h'));
    co_await SleepUntil(env.r, deadline_after(100ms));
    co_await (*c)->close();
    // Checksum mismatch.
    auto bad = co_await env.upload(tok, "name=sum.bin", "hello", "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n");
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find("checksum_mismatch"), std::string::npos);
    // Let background clean-up finish.
    for (int i = 0; i < 200; ++i) {
      if (co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'uploading'") == 0) break;
      co_await SleepUntil(env.r, deadline_after(10ms));
    }
    co_await SleepUntil(env.r, deadline_after(50ms));
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_files FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
    EXPECT_EQ(env.stored_objects(), 0u);
    EXPECT_EQ(co_await env.leases_of(user), 0);
  });
}

Task<void> upload_into(Env& env, std::string tok, std::string name, std::string body, int* status) {
  auto r = co_await env.upload(tok, "name=" + name, std::move(body));
  *status = r.ok() ? r->status : -1;
}

TEST(UploadApi, QuotaHoldsUnderConcurrency) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("ten");
    (void)co_await env.scalar("INSERT INTO sluice.accounts (user_id, quota_bytes_override, tier) VALUES ('" + user +
                              "', 10485760, 'unlimited') RETURNING 0");
    std::string tok = token_for(user);
    std::vector<int> statuses(50, 0);
    TaskGroup group;
    for (int i = 0; i < 50; ++i)
      spawn(upload_into(env, tok, "f" + std::to_string(i), std::string(1 << 20, 'q'), &statuses[i]), &group);
    co_await group.wait();
    int ok = 0, full = 0;
    for (int s : statuses) {
      if (s == 201) ++ok;
      else if (s == 507) ++full;
    }
    EXPECT_EQ(ok, 10);
    EXPECT_EQ(full, 40);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 10485760);
    EXPECT_EQ(co_await env.scalar("SELECT file_count FROM sluice.accounts WHERE user_id = '" + user + "'"), 10);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
  });
}

// An upload that trickles its body so it stays in flight for a while.
Task<void> slow_upload(Env& env, std::string tok, std::string name, int* status) {
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  if (!c.ok()) co_return;
  (void)co_await (*c)->send("PUT /v1/files/content?name=" + name + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                            tok + "\r\nContent-Length: 10\r\n\r\n");
  for (int i = 0; i < 10; ++i) {
    co_await SleepUntil(env.r, deadline_after(30ms));
    if (!(co_await (*c)->send("s")).ok()) break;
  }
  auto r = co_await (*c)->read_response(10s);
  *status = r.ok() ? r->status : -1;
  co_await (*c)->close();
}

TEST(UploadApi, PerUserLimitNeverExceeded) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("busy");  // the free tier allows 2 concurrent uploads
    std::string tok = token_for(user);
    std::vector<int> statuses(20, 0);
    TaskGroup group;
    for (int i = 0; i < 20; ++i) spawn(slow_upload(env, tok, "s" + std::to_string(i), &statuses[i]), &group);
    int64_t max_seen = 0;
    while (group.size() > 0) {
      max_seen = std::max(max_seen, co_await env.leases_of(user));
      co_await SleepUntil(env.r, deadline_after(5ms));
    }
    co_await group.wait();
    int ok = 0, limited = 0;
    for (int s : statuses) {
      if (s == 201) ++ok;
      else if (s == 429) ++limited;
    }
    EXPECT_LE(max_seen, 2);
    EXPECT_GE(max_seen, 1);
    EXPECT_EQ(ok + limited, 20);
    EXPECT_GE(ok, 2);
    EXPECT_EQ(co_await env.leases_of(user), 0);
  });
}

}  // namespace
}  // namespace sluice
