// Test support for the upload API end to end: a fresh database, the service on one core with its
// HTTP server on port 0, a pool and a Redis client for checking state directly, and a view of
// the object store the service writes to. Parameterised over the store: "local" (a temp
// directory) or "s3" (moto from SLUICE_TEST_S3_ENDPOINT, a fresh bucket per test).
#pragma once

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "db/migrations.h"
#include "db/redis_client.h"
#include "http/http_server.h"
#include "storage/service/auth/jwt.h"
#include "storage/store/local/local_store.h"
#include "storage/store/s3/s3_store.h"
#include "storage/api/service.h"
#include "tests/db/reactor_fixture.h"
#include "tests/storage/store/s3/s3_test_env.h"
#include "tests/support/raw_http_client.h"

namespace sluice::testing {

using namespace std::chrono_literals;

inline const std::string kUploadTestSecret = "test-secret-0123456789abcdef-0123456789";

inline std::string token_for(const std::string& user, auth::Role role = auth::Role::user, int64_t ttl = 600) {
  auth::Claims c;
  c.sub = user;
  c.role = role;
  return auth::mint_hs256(c, kUploadTestSecret, static_cast<int64_t>(time(nullptr)), ttl);
}

inline std::string pattern_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// `body` in HTTP/1.1 chunked framing, in chunks of `chunk` bytes.
inline std::string chunked(const std::string& body, size_t chunk) {
  std::string out;
  char size[32];
  for (size_t at = 0; at < body.size(); at += chunk) {
    size_t n = std::min(chunk, body.size() - at);
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size;
    out.append(body, at, n);
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

// The id in a file's JSON (the first "id" when several files are listed after `from`).
inline std::string id_in(const std::string& json, size_t from = 0) {
  auto at = json.find("\"id\":\"", from);
  return at == std::string::npos ? std::string() : json.substr(at + 6, 36);
}

// Everything one test needs; see the file comment.
struct UploadEnv {
  Reactor& r;
  std::string store_kind;
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<PgPool> check;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<ObjectStore> bucket;  // the store the service writes to, for listing
  std::string store_dir;
  std::string run_id;

  uint16_t port() const { return server->port(); }
  std::string user(const std::string& name) const { return name + "-" + run_id; }

  Task<Result<RawResponse>> call(std::string request) {
    auto c = co_await RawHttpClient::connect(r, port());
    if (!c.ok()) co_return std::move(c).error();
    (void)co_await (*c)->send(std::move(request));
    auto resp = co_await (*c)->read_response(60s);
    co_await (*c)->close();
    co_return resp;
  }
  Task<Result<RawResponse>> upload(std::string token, std::string query, std::string body, std::string extra = "") {
    std::string req = "PUT /v1/files/content?" + query + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
    co_return co_await call(std::move(req));
  }
  Task<Result<RawResponse>> upload_chunked(std::string token, std::string query, std::string body, size_t chunk,
                                           std::string extra = "") {
    std::string req = "PUT /v1/files/content?" + query + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                      "\r\nTransfer-Encoding: chunked\r\n" + extra + "\r\n" + chunked(body, chunk);
    co_return co_await call(std::move(req));
  }
  // POST /v1/files with a form body; `chunk` > 0 sends it chunked instead of with Content-Length.
  Task<Result<RawResponse>> post_form(std::string token, std::string boundary, std::string body, size_t chunk = 0) {
    std::string req = "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                      "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n";
    if (chunk == 0) {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    } else {
      req += "Transfer-Encoding: chunked\r\n\r\n" + chunked(body, chunk);
    }
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
  Task<std::string> text(std::string sql) {
    auto res = co_await check->execute(std::move(sql));
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    if (!res.ok() || res->rows() == 0 || res->is_null(0, 0)) co_return std::string();
    co_return std::string(res->text(0, 0));
  }
  Task<int64_t> leases_of(std::string user) {
    std::vector<std::string> drop{"ZREMRANGEBYSCORE", "sluice:leases:{" + user + "}", "-inf",
                                  std::to_string(static_cast<int64_t>(time(nullptr)) * 1000)};
    (void)co_await redis->command(std::move(drop), deadline_after(2s));
    std::vector<std::string> card{"ZCARD", "sluice:leases:{" + user + "}"};
    auto r = co_await redis->command(std::move(card), deadline_after(2s));
    co_return r.ok() ? r->integer : -1;
  }
  // Objects in the store (the bucket listed, or the local objects tree), or -1 if listing failed.
  Task<int64_t> stored_objects() {
    auto keys = co_await bucket->list("");
    EXPECT_TRUE(keys.ok()) << (keys.ok() ? "" : keys.error().message);
    co_return keys.ok() ? static_cast<int64_t>(keys->size()) : -1;
  }
  // Multipart uploads the store still holds (parts of aborted bodies would be left there).
  Task<int64_t> open_multipart_uploads() {
    auto ups = co_await bucket->list_multipart_uploads("");
    EXPECT_TRUE(ups.ok()) << (ups.ok() ? "" : ups.error().message);
    co_return ups.ok() ? static_cast<int64_t>(ups->size()) : -1;
  }
  // Waits (bounded) for background clean-up: no row left 'uploading'.
  Task<void> settle() {
    for (int i = 0; i < 500; ++i) {
      if (co_await scalar("SELECT count(*) FROM sluice.files WHERE status = 'uploading'") == 0) break;
      co_await SleepUntil(r, deadline_after(10ms));
    }
    // The abort deletes the object before it marks the row, but lease release comes after it.
    co_await SleepUntil(r, deadline_after(50ms));
  }
  // Every failure leaves the user with nothing reserved or leased, and the store empty of
  // anything uncommitted (`committed` objects expected).
  Task<void> expect_clean(std::string user, int64_t committed) {
    co_await settle();
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    EXPECT_EQ(co_await scalar("SELECT reserved_bytes" + where), 0);
    EXPECT_EQ(co_await scalar("SELECT reserved_files" + where), 0);
    EXPECT_EQ(co_await scalar("SELECT count(*) FROM sluice.files WHERE status = 'uploading'"), 0);
    EXPECT_EQ(co_await stored_objects(), committed);
    EXPECT_EQ(co_await open_multipart_uploads(), 0);
    EXPECT_EQ(co_await leases_of(user), 0);
  }
};

inline std::string random_suffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

inline Task<std::unique_ptr<ObjectStore>> open_bucket(Reactor& r, ServiceConfig cfg) {
  if (cfg.store == "s3") {
    auto s3 = S3Store::create(r, test_s3_options(cfg.s3_endpoint, cfg.s3_bucket, cfg.s3_access_key, cfg.s3_secret_key));
    EXPECT_TRUE(s3.ok()) << (s3.ok() ? "" : s3.error().message);
    if (!s3.ok()) co_return nullptr;
    auto st = co_await (*s3)->create_bucket();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    if (!st.ok()) {
      co_await (*s3)->shutdown();
      co_return nullptr;
    }
    co_return std::move(*s3);
  }
  local::LocalStoreOptions lo;
  lo.root = cfg.local_dir;
  lo.urls.secret = "lister";
  auto local = local::LocalStore::open(r, lo);
  EXPECT_TRUE(local.ok()) << (local.ok() ? "" : local.error().message);
  if (!local.ok()) co_return nullptr;
  co_return std::move(*local);
}

// Runs `test(env)` against a fresh service on the given store ("local" or "s3").
template <class F>
void with_upload_env(const std::string& store, F test, std::function<void(ServiceConfig&)> tweak = {},
                     ServerOptions server_options = ServerOptions()) {
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  if (store == "s3") {
    ASSERT_FALSE(service_env("SLUICE_TEST_S3_ENDPOINT").empty())
        << "SLUICE_TEST_S3_ENDPOINT is not set (run tools/test, which starts moto_server)";
  }
  ScopedTestDatabase db("upload");
  ASSERT_TRUE(db.create());
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-upload-" + db.name());
  std::filesystem::create_directories(dir);
  ServiceConfig cfg;
  cfg.pg_url = db.url();
  cfg.redis_url = service_env("SLUICE_TEST_REDIS_URL");
  cfg.local_dir = dir;
  cfg.jwt_secret = kUploadTestSecret;
  cfg.slots_per_core = 64;
  cfg.rate_limits = false;  // bursts as one user; rate limits have their own tests
  cfg.store = store;
  if (store == "s3") {
    cfg.s3_endpoint = service_env("SLUICE_TEST_S3_ENDPOINT");
    cfg.s3_bucket = "sluice-up-" + random_suffix();
    cfg.s3_access_key = env_or("AWS_ACCESS_KEY_ID", "testing");
    cfg.s3_secret_key = env_or("AWS_SECRET_ACCESS_KEY", "testing");
    cfg.s3_region = env_or("AWS_REGION", "us-east-1");
  }
  if (tweak) tweak(cfg);
  run_reactor([&, cfg, dir, server_options](Reactor& r) -> Task<void> {
    PgOptions po;
    po.url = cfg.pg_url;
    po.connections = 1;
    auto check = std::make_unique<PgPool>(r, po);
    Status pg_started = co_await check->start();
    EXPECT_TRUE(pg_started.ok());
    auto migrated = co_await apply_migrations(*check);
    EXPECT_TRUE(migrated.ok()) << (migrated.ok() ? "" : migrated.error().message);
    auto bucket = co_await open_bucket(r, cfg);
    if (!bucket) {
      co_await check->close();
      co_return;
    }
    auto svc = Service::create(cfg, 1);
    EXPECT_TRUE(svc.ok()) << (svc.ok() ? "" : svc.error().message);
    if (!svc.ok()) {
      co_await bucket->shutdown();
      co_await check->close();
      co_return;
    }
    auto ro = RedisOptions::from_url(cfg.redis_url);
    auto redis = std::make_unique<RedisClient>(r, *ro);
    Status redis_started = co_await redis->start();
    EXPECT_TRUE(redis_started.ok());
    UploadEnv env{r,       cfg.store,          std::move(*svc),   Router(), nullptr, std::move(check),
                  std::move(redis), std::move(bucket), dir, db.name()};
    auto started = co_await env.service->start_core(r);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    env.service->add_routes(env.router);
    env.server = std::make_unique<HttpServer>(r, env.router, server_options);
    EXPECT_TRUE(env.server->listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    co_await test(env);
    co_await env.server->drain(5s);
    co_await env.service->stop_core(r);
    co_await env.bucket->shutdown();
    co_await env.check->close();
    co_await env.redis->close();
  });
  std::filesystem::remove_all(dir);
}

// The store names for INSTANTIATE_TEST_SUITE_P.
inline std::string store_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace sluice::testing
