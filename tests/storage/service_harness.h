// Test harness for the service's HTTP API on one core: a fresh migrated database, the local
// store in a temporary directory, the Service and an HttpServer on port 0, a RawHttpClient per
// call, and direct PostgreSQL / Redis handles for checking state. Integration only: it needs
// SLUICE_TEST_PG_URL and SLUICE_TEST_REDIS_URL (tools/test sets them).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "db/migrations.h"
#include "db/redis_client.h"
#include "http/http_server.h"
#include "storage/service/auth/jwt.h"
#include "storage/api/service.h"
#include "tests/db/reactor_fixture.h"
#include "tests/support/raw_http_client.h"

namespace sluice::testing {

inline const std::string kHarnessJwtSecret = "test-secret-0123456789abcdef-0123456789";

inline std::string token_for(const std::string& user, auth::Role role = auth::Role::user, int64_t ttl = 600) {
  auth::Claims c;
  c.sub = user;
  c.role = role;
  return auth::mint_hs256(c, kHarnessJwtSecret, static_cast<int64_t>(time(nullptr)), ttl);
}

// A TCP port on 127.0.0.1 with nothing listening (bound, then released).
inline uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

// The value of `"name":` in a flat JSON text (number or string), or "" when absent.
inline std::string json_field(const std::string& body, const std::string& name) {
  std::string k = "\"" + name + "\":";
  size_t p = body.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  if (p < body.size() && body[p] == '"') {
    size_t e = body.find('"', p + 1);
    return body.substr(p + 1, e - p - 1);
  }
  size_t e = body.find_first_of(",}]", p);
  return body.substr(p, e - p);
}

inline int64_t json_int(const std::string& body, const std::string& name) {
  std::string v = json_field(body, name);
  return v.empty() || v == "null" ? -1 : std::stoll(v);
}

struct ServiceEnv {
  Reactor& r;
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<PgPool> check;
  std::unique_ptr<RedisClient> redis;
  std::string store_dir;
  std::string run_id;
  Status started;

  uint16_t port() const { return server->port(); }
  std::string user(const std::string& name) const { return name + "-" + run_id; }

  Task<Result<RawResponse>> call(std::string request) {
    auto c = co_await RawHttpClient::connect(r, port());
    if (!c.ok()) co_return std::move(c).error();
    (void)co_await (*c)->send(std::move(request));
    auto resp = co_await (*c)->read_response(std::chrono::seconds(10));
    co_await (*c)->close();
    co_return resp;
  }
  // Any method; `token` empty sends no Authorization; `body` gets a Content-Length.
  Task<RawResponse> request(std::string method, std::string path, std::string token, std::string body = "",
                            std::string extra = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: t\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += extra + "\r\n" + body;
    auto r = co_await call(std::move(req));
    EXPECT_TRUE(r.ok()) << method << " " << path << ": " << (r.ok() ? "" : r.error().message);
    co_return r.ok() ? std::move(*r) : RawResponse{};
  }
  Task<RawResponse> upload(std::string token, std::string name, std::string body) {
    co_return co_await request("PUT", "/v1/files/content?name=" + name, std::move(token), std::move(body),
                               "Content-Type: application/octet-stream\r\n");
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
    if (!res.ok() || res->rows() == 0 || res->is_null(0, 0)) co_return "";
    co_return std::string(res->text(0, 0));
  }
  Task<int64_t> redis_int(std::vector<std::string> cmd) {
    auto r = co_await redis->command(std::move(cmd), deadline_after(std::chrono::seconds(2)));
    co_return r.ok() ? r->integer : -1;
  }
};

struct HarnessOptions {
  std::function<void(ServiceConfig&)> tweak;
  bool require_start = true;  // false: the test expects start_core to fail (a dependency down)
  ServerOptions server;
};

// Runs `test(env)` against a fresh service; tears everything down afterwards.
template <class F>
void with_service(F test, HarnessOptions opts = {}) {
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  ScopedTestDatabase db("svc");
  ASSERT_TRUE(db.create());
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-svc-" + db.name());
  std::filesystem::create_directories(dir);
  ServiceConfig cfg;
  cfg.pg_url = db.url();
  cfg.redis_url = service_env("SLUICE_TEST_REDIS_URL");
  cfg.local_dir = dir;
  cfg.jwt_secret = kHarnessJwtSecret;
  cfg.slots_per_core = 64;
  cfg.rate_limits = false;  // suites send bursts as one user; rate_limit_api_test turns them on
  cfg.thumbnails = false;  // the thumbnail tests turn it on; others need no libvips threads
  if (opts.tweak) opts.tweak(cfg);
  std::string check_url = db.url();
  std::string redis_url = service_env("SLUICE_TEST_REDIS_URL");
  bool require_start = opts.require_start;
  ServerOptions server_options = opts.server;
  run_reactor([&, cfg, dir, check_url, redis_url, require_start, server_options](Reactor& r) -> Task<void> {
    PgOptions po;
    po.url = check_url;
    po.connections = 1;
    auto check = std::make_unique<PgPool>(r, po);
    Status pg_started = co_await check->start();
    EXPECT_TRUE(pg_started.ok());
    auto migrated = co_await apply_migrations(*check);
    EXPECT_TRUE(migrated.ok()) << (migrated.ok() ? "" : migrated.error().message);
    auto svc = Service::create(cfg, 1);
    EXPECT_TRUE(svc.ok()) << (svc.ok() ? "" : svc.error().message);
    if (!svc.ok()) {
      co_await check->close();
      co_return;
    }
    auto ro = RedisOptions::from_url(redis_url);
    auto redis = std::make_unique<RedisClient>(r, *ro);
    Status redis_started = co_await redis->start();
    EXPECT_TRUE(redis_started.ok());
    ServiceEnv env{r, std::move(*svc), Router(), nullptr, std::move(check), std::move(redis), dir, db.name(), Status()};
    env.started = co_await env.service->start_core(r);
    if (require_start) {
      EXPECT_TRUE(env.started.ok()) << (env.started.ok() ? "" : env.started.error().message);
    }
    env.service->add_routes(env.router);
    env.server = std::make_unique<HttpServer>(r, env.router, server_options);
    env.service->set_http_stats(r.core(), &env.server->stats());
    EXPECT_TRUE(env.server->listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    co_await test(env);
    co_await env.server->drain(std::chrono::seconds(5));
    co_await env.service->stop_core(r);
    co_await env.check->close();
    co_await env.redis->close();
  });
  std::filesystem::remove_all(dir);
}

}  // namespace sluice::testing
