// Test support for the multipart API and the janitor: a fresh database, a store (a local
// directory, or a fresh moto bucket), the service on one core with its HTTP server, a second
// handle on the same store and database for checking what is left behind, and a Janitor that
// tests run by hand.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <string>

#include "db/migrations.h"
#include "db/redis_client.h"
#include "http/http_server.h"
#include "storage/service/auth/jwt.h"
#include "storage/service/janitor/janitor.h"
#include "storage/service/master_keys_loading.h"
#include "storage/store/local/local_store.h"
#include "storage/api/service.h"
#include "tests/db/reactor_fixture.h"
#include "tests/storage/child_process.h"
#include "tests/storage/store/s3/s3_test_env.h"
#include "tests/support/raw_http_client.h"

namespace sluice::testing {

using namespace std::chrono_literals;

inline const std::string kMpuSecret = "test-secret-0123456789abcdef-0123456789";
inline constexpr uint64_t kMiB = 1024 * 1024;

inline std::string token_for(const std::string& user, auth::Role role = auth::Role::user) {
  auth::Claims c;
  c.sub = user;
  c.role = role;
  return auth::mint_hs256(c, kMpuSecret, static_cast<int64_t>(time(nullptr)), 600);
}

inline std::string pattern_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A string or integer member of a JSON object body ("" / -1 when absent).
inline std::string json_str(const std::string& body, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS) return {};
  std::string_view v;
  if (doc[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}
inline int64_t json_int(const std::string& body, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS) return -1;
  int64_t v = -1;
  if (doc[key].get_int64().get(v) != simdjson::SUCCESS) return -1;
  return v;
}
// The "error.code" of an error body.
inline std::string error_code(const std::string& body) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS) return {};
  std::string_view v;
  if (doc["error"]["code"].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

// A ByteSource over one string (for writing through the checking store directly).
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string s) : s_(std::move(s)) {}
  Task<Result<std::span<const char>>> next() override {
    std::span<const char> out(s_.data() + pos_, std::min<size_t>(64 * 1024, s_.size() - pos_));
    pos_ += out.size();
    co_return out;
  }

 private:
  std::string s_;
  size_t pos_ = 0;
};

struct Initiated {
  int status = 0;
  std::string body, upload_id, file_id;
  int64_t part_size = 0, total_parts = 0;
};

struct MpuEnv {
  Reactor& r;
  std::string store_kind;
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<PgPool> check;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<ObjectStore> store;  // the same objects the service stores, for checks
  std::string dir;                     // local store root (and curl's scratch files)
  std::string run_id;
  ServiceConfig config;

  uint16_t port() const { return server->port(); }
  std::string user(const std::string& name) const { return name + "-" + run_id; }

  Janitor janitor(Duration stale = 15min, Duration upload_timeout = 6h) {
    JanitorOptions o;
    o.stale_upload_after = stale;
    o.upload_timeout = upload_timeout;
    return Janitor(*check, *store, redis.get(), o);
  }

  Task<Result<RawResponse>> call(std::string request) {
    auto c = co_await RawHttpClient::connect(r, port());
    if (!c.ok()) co_return std::move(c).error();
    (void)co_await (*c)->send(std::move(request));
    auto resp = co_await (*c)->read_response(30s);
    co_await (*c)->close();
    co_return resp;
  }
  // Never fails: a transport error becomes status -1.
  Task<RawResponse> req(std::string method, std::string path, std::string token, std::string body = "",
                        std::string extra = "") {
    std::string head = method + " " + path + " HTTP/1.1\r\nHost: t\r\n";
    if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n";
    auto r = co_await call(head + body);
    if (!r.ok()) {
      RawResponse bad;
      bad.status = -1;
      bad.body = r.error().message;
      co_return bad;
    }
    co_return std::move(*r);
  }
  Task<Initiated> initiate(std::string token, std::string name, uint64_t size, uint64_t part_size = 5 * kMiB) {
    std::string body = "{\"path\":\"/big\",\"name\":\"" + name + "\",\"contentType\":\"application/octet-stream\","
                       "\"size\":" + std::to_string(size);
    if (part_size) body += ",\"partSize\":" + std::to_string(part_size);
    body += "}";
    auto resp = co_await req("POST", "/v1/uploads", token, body, "Content-Type: application/json\r\n");
    Initiated out;
    out.status = resp.status;
    out.body = resp.body;
    out.upload_id = json_str(resp.body, "uploadId");
    out.file_id = json_str(resp.body, "fileId");
    out.part_size = json_int(resp.body, "partSize");
    out.total_parts = json_int(resp.body, "totalParts");
    co_return out;
  }
  Task<RawResponse> put_part(std::string token, std::string id, int n, std::string bytes) {
    co_return co_await req("PUT", "/v1/uploads/" + id + "/parts/" + std::to_string(n), token, std::move(bytes));
  }
  Task<RawResponse> complete(std::string token, std::string id, std::vector<std::pair<int, std::string>> parts) {
    std::string body = "{\"parts\":[";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i) body += ",";
      std::string etag;  // clients may send S3's quoted form; JSON-escape it
      for (char ch : parts[i].second) etag += ch == '"' ? std::string("\\\"") : std::string(1, ch);
      body += "{\"partNumber\":" + std::to_string(parts[i].first) + ",\"etag\":\"" + etag + "\"}";
    }
    body += "]}";
    co_return co_await req("POST", "/v1/uploads/" + id + "/complete", token, body);
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
    if (!res.ok() || res->rows() == 0) co_return "";
    co_return std::string(res->text(0, 0));
  }
  Task<int64_t> leases_of(std::string user) {
    std::vector<std::string> card{"ZCARD", "sluice:leases:{" + user + "}"};
    auto r = co_await redis->command(std::move(card), deadline_after(2s));
    co_return r.ok() ? r->integer : -1;
  }
  Task<int64_t> store_uploads() {
    auto l = co_await store->list_multipart_uploads("u/");
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().message);
    co_return l.ok() ? static_cast<int64_t>(l->size()) : -1;
  }
  Task<bool> object_exists(std::string key) {
    auto h = co_await store->head(key);
    co_return h.ok();
  }
  // reserved_bytes + reserved_files of one account.
  Task<int64_t> reserved(std::string user) {
    co_return co_await scalar("SELECT reserved_bytes + reserved_files FROM sluice.accounts WHERE user_id = '" + user +
                              "'");
  }
  // curl's arguments to reach this server at the public URL the local store signs with.
  std::vector<std::string> curl_route_args() const {
    if (store_kind != "local") return {};
    return {"--connect-to", "sluice.test:80:127.0.0.1:" + std::to_string(port())};
  }
};

inline std::string unique_bucket() {
  static std::atomic<int> n{0};
  return "sluice-mpu-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// Runs `test` against a fresh environment with the store `kind` ("local" or "s3").
template <class F>
void with_mpu_env(const std::string& kind, F test, std::function<void(ServiceConfig&)> tweak = {},
                  std::function<void(ServerOptions&)> server_tweak = {}) {
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  std::string moto;
  if (kind == "s3") {
    auto url = moto_url();
    ASSERT_TRUE(url.has_value());
    moto = *url;
  }
  ScopedTestDatabase db("mpu");
  ASSERT_TRUE(db.create());
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-mpu-" + db.name());
  std::filesystem::create_directories(dir);
  ServiceConfig cfg;
  cfg.pg_url = db.url();
  cfg.redis_url = service_env("SLUICE_TEST_REDIS_URL");
  cfg.store = kind;
  cfg.rate_limits = false;  // bursts as one user; rate limits have their own tests
  cfg.local_dir = dir + "/store";
  cfg.public_url = "http://sluice.test";
  cfg.jwt_secret = kMpuSecret;
  cfg.slots_per_core = 64;
  cfg.janitor_interval = Duration::zero();  // tests run the janitor themselves
  std::string bucket = unique_bucket();
  if (kind == "s3") {
    cfg.s3_endpoint = moto;
    cfg.s3_bucket = bucket;
    cfg.s3_access_key = env_or("AWS_ACCESS_KEY_ID", "testing");
    cfg.s3_secret_key = env_or("AWS_SECRET_ACCESS_KEY", "testing");
  }
  if (tweak) tweak(cfg);
  run_reactor([&, cfg, dir, moto, bucket, kind, server_tweak](Reactor& r) -> Task<void> {
    PgOptions po;
    po.url = cfg.pg_url;
    po.connections = 1;
    auto check = std::make_unique<PgPool>(r, po);
    Status pg_started = co_await check->start();
    EXPECT_TRUE(pg_started.ok());
    auto migrated = co_await apply_migrations(*check);
    EXPECT_TRUE(migrated.ok()) << (migrated.ok() ? "" : migrated.error().message);
    std::unique_ptr<ObjectStore> store;
    if (kind == "s3") {
      auto s3 = S3Store::create(r, test_s3_options(moto, bucket, cfg.s3_access_key, cfg.s3_secret_key));
      EXPECT_TRUE(s3.ok()) << (s3.ok() ? "" : s3.error().message);
      if (!s3.ok()) co_return;
      Status made = co_await (*s3)->create_bucket();
      EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
      store = std::move(*s3);
    } else {
      local::LocalStoreOptions lo;
      lo.root = cfg.local_dir;
      auto keys = load_master_keys(cfg);  // with SLUICE_ENCRYPTION on, the test reads what the service sealed
      EXPECT_TRUE(keys.ok()) << (keys.ok() ? "" : keys.error().message);
      if (keys.ok()) lo.keys = std::move(*keys);
      auto ls = local::LocalStore::open(r, lo);
      EXPECT_TRUE(ls.ok()) << (ls.ok() ? "" : ls.error().message);
      if (!ls.ok()) co_return;
      store = std::move(*ls);
    }
    auto svc = Service::create(cfg, 1);
    EXPECT_TRUE(svc.ok()) << (svc.ok() ? "" : svc.error().message);
    if (!svc.ok()) co_return;
    auto ro = RedisOptions::from_url(cfg.redis_url);
    auto redis = std::make_unique<RedisClient>(r, *ro);
    Status redis_started = co_await redis->start();
    EXPECT_TRUE(redis_started.ok());
    MpuEnv env{r,       kind, std::move(*svc), Router(), nullptr, std::move(check), std::move(redis), std::move(store),
               dir,     db.name(), cfg};
    auto started = co_await env.service->start_core(r);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    env.service->add_routes(env.router);
    ServerOptions server_options;
    if (server_tweak) server_tweak(server_options);
    env.server = std::make_unique<HttpServer>(r, env.router, server_options);
    EXPECT_TRUE(env.server->listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    co_await test(env);
    co_await env.server->drain(5s);
    co_await env.service->stop_core(r);
    co_await env.store->shutdown();
    co_await env.check->close();
    co_await env.redis->close();
  });
  std::filesystem::remove_all(dir);
}

}  // namespace sluice::testing
