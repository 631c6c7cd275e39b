// End to end: readiness follows the dependencies (200 when PostgreSQL, Redis and the object
// store are up, 503 naming the one that is down), /metrics reports the upload counters after N uploads, and the
// admin concurrency view shows an in-flight upload's slot and lease, which DELETE drops.
#include <gtest/gtest.h>

#include "storage/api/ops_routes.h"
#include "tests/storage/store/s3/s3_test_env.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::closed_port;
using testing::HarnessOptions;
using testing::json_field;
using testing::json_int;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

// The value of an unlabelled sample in Prometheus text, or -1.
int64_t metric(const std::string& text, const std::string& name) {
  size_t p = 0;
  while ((p = text.find(name + " ", p)) != std::string::npos) {
    if (p == 0 || text[p - 1] == '\n') return std::stoll(text.substr(p + name.size() + 1));
    p += name.size();
  }
  return -1;
}

TEST(OpsRoutes, ReadyWhenDependenciesAreUp) {
  with_service([](ServiceEnv& env) -> Task<void> {
    RawResponse r = co_await env.request("GET", "/health/ready", "");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"postgres\":\"up\""), std::string::npos);
    EXPECT_NE(r.body.find("\"redis\":\"up\""), std::string::npos);
  });
}

TEST(OpsRoutes, NotReadyWithPostgresDown) {
  HarnessOptions o;
  o.require_start = false;
  o.tweak = [](ServiceConfig& c) {
    c.pg_url = "postgresql://sluice@127.0.0.1:" + std::to_string(closed_port()) + "/sluice";
  };
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        EXPECT_FALSE(env.started.ok());
        RawResponse r = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_NE(r.body.find("not_ready"), std::string::npos);
        EXPECT_NE(r.body.find("\"postgres\":\"down\""), std::string::npos);
        EXPECT_EQ(r.header("retry-after"), "1");
        // Liveness is another matter: metrics still answer.
        RawResponse m = co_await env.request("GET", "/metrics", "");
        EXPECT_EQ(m.status, 200);
        EXPECT_EQ(metric(m.body, "sluice_pg_ready_connections"), 0);
        EXPECT_GE(metric(m.body, "sluice_pg_connect_failures_total"), 1);
      },
      o);
}

TEST(OpsRoutes, NotReadyWithRedisDown) {
  HarnessOptions o;
  o.tweak = [](ServiceConfig& c) {
    c.redis_url = "redis://127.0.0.1:" + std::to_string(closed_port()) + "/0";
    c.redis_fail_open = true;  // start-up goes on without Redis
  };
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        RawResponse r = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_NE(r.body.find("\"postgres\":\"up\""), std::string::npos);
        EXPECT_NE(r.body.find("\"redis\":\"down\""), std::string::npos);
        EXPECT_NE(r.body.find("redis is not reachable"), std::string::npos);
      },
      o);
}

// The local store's tmp/ (where every put starts) gone: not ready, naming the store; back: ready.
TEST(OpsRoutes, NotReadyWhenTheLocalStoreCannotTakeWrites) {
  with_service([](ServiceEnv& env) -> Task<void> {
    RawResponse up = co_await env.request("GET", "/health/ready", "");
    EXPECT_EQ(up.status, 200) << up.body;
    EXPECT_NE(up.body.find("\"store\":\"up\""), std::string::npos) << up.body;
    std::string tmp = env.store_dir + "/tmp";
    std::filesystem::rename(tmp, env.store_dir + "/tmp-away");
    RawResponse down = co_await env.request("GET", "/health/ready", "");
    EXPECT_EQ(down.status, 503) << down.body;
    EXPECT_NE(down.body.find("not_ready"), std::string::npos);
    EXPECT_NE(down.body.find("\"store\":\"down\""), std::string::npos) << down.body;
    EXPECT_NE(down.body.find("the object store is not reachable"), std::string::npos) << down.body;
    EXPECT_NE(down.body.find("\"postgres\":\"up\""), std::string::npos);
    EXPECT_EQ(down.header("retry-after"), "1");
    std::filesystem::rename(env.store_dir + "/tmp-away", tmp);
    RawResponse again = co_await env.request("GET", "/health/ready", "");
    EXPECT_EQ(again.status, 200) << again.body;
    // The probe leaves nothing behind: tmp/ holds only the stores' (empty) lock files and their
    // empty temp directories (storage/store/local/temp_ownership.h).
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp)) {
      if (e.is_directory()) {
        EXPECT_TRUE(std::filesystem::is_empty(e.path())) << e.path();
      } else {
        EXPECT_EQ(e.path().extension(), ".owner") << e.path();
        EXPECT_EQ(e.file_size(), 0u) << e.path();
      }
    }
  });
}

// An S3 bucket that does not exist (a HEAD of it fails): not ready; once it exists: ready.
TEST(OpsRoutes, NotReadyWhenTheS3BucketIsMissing) {
  auto moto = testing::moto_url();
  ASSERT_TRUE(moto.has_value());
  std::string bucket = "sluice-ready-" + std::to_string(::getpid()) + "-" + std::to_string(::time(nullptr));
  HarnessOptions o;
  o.tweak = [moto, bucket](ServiceConfig& c) {
    c.store = "s3";
    c.s3_endpoint = *moto;
    c.s3_bucket = bucket;
    c.s3_access_key = testing::env_or("AWS_ACCESS_KEY_ID", "testing");
    c.s3_secret_key = testing::env_or("AWS_SECRET_ACCESS_KEY", "testing");
  };
  with_service(
      [moto, bucket](ServiceEnv& env) -> Task<void> {
        RawResponse down = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(down.status, 503) << down.body;
        EXPECT_NE(down.body.find("\"store\":\"down\""), std::string::npos) << down.body;
        EXPECT_NE(down.body.find("\"redis\":\"up\""), std::string::npos) << down.body;
        auto s3 = S3Store::create(env.r, testing::test_s3_options(*moto, bucket, "testing", "testing"));
        EXPECT_TRUE(s3.ok());
        if (!s3.ok()) co_return;
        Status made = co_await (*s3)->create_bucket();
        EXPECT_TRUE(made.ok());
        co_await (*s3)->shutdown();
        RawResponse up = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(up.status, 200) << up.body;
        EXPECT_NE(up.body.find("\"store\":\"up\""), std::string::npos) << up.body;
      },
      o);
}

// Over the per-core connection cap a connection gets 503 and is closed; /metrics counts it and
// shows the open connections.
TEST(OpsRoutes, RefusedConnectionsAreCountedInMetrics) {
  HarnessOptions o;
  o.server.max_connections = 2;
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        auto held = co_await RawHttpClient::connect(env.r, env.port());
        auto second = co_await RawHttpClient::connect(env.r, env.port());
        EXPECT_TRUE(held.ok() && second.ok());
        if (!held.ok() || !second.ok()) co_return;
        for (int k = 0; k < 2; ++k) {
          RawHttpClient* c = k == 0 ? held->get() : second->get();
          (void)co_await c->send("GET /health/ready HTTP/1.1\r\nHost: t\r\n\r\n");
          auto ok = co_await c->read_response();
          EXPECT_TRUE(ok.ok() && ok->status == 200);
        }
        auto over = co_await RawHttpClient::connect(env.r, env.port());
        EXPECT_TRUE(over.ok());
        if (!over.ok()) co_return;
        auto refused = co_await (*over)->read_response();
        EXPECT_TRUE(refused.ok());
        if (refused.ok()) {
          EXPECT_EQ(refused->status, 503);
          EXPECT_EQ(refused->header("retry-after"), "1");
          EXPECT_NE(refused->body.find("too_many_connections"), std::string::npos);
        }
        co_await (*over)->close();
        co_await (*second)->close();
        for (int i = 0; i < 200 && env.server->stats().connections_open > 1; ++i)
          co_await SleepUntil(env.r, deadline_after(5ms));
        RawResponse m = co_await env.request("GET", "/metrics", "");
        EXPECT_EQ(m.status, 200);
        EXPECT_EQ(metric(m.body, "sluice_http_connections_refused_total"), 1);
        EXPECT_EQ(metric(m.body, "sluice_http_connections_open"), 2);  // `held` and this one
        co_await (*held)->close();
      },
      o);
}

TEST(OpsRoutes, MetricsCountUploads) {
  with_service([](ServiceEnv& env) -> Task<void> {
    RawResponse before = co_await env.request("GET", "/metrics", "");
    EXPECT_EQ(before.status, 200);
    EXPECT_EQ(before.header("content-type").substr(0, 10), "text/plain");
    EXPECT_EQ(metric(before.body, "sluice_uploads_started_total"), 0);
    EXPECT_NE(before.body.find("# TYPE sluice_uploads_started_total counter\n"), std::string::npos);
    std::string user = env.user("rita");
    std::string tok = token_for(user);
    const int n = 5;
    int64_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ((co_await env.upload(tok, "m" + std::to_string(i), std::string(100 * (i + 1), 'm'))).status, 201);
      bytes += 100 * (i + 1);
    }
    // One refused by quota (never started) and one failing its checksum (started, then failed).
    (void)co_await env.scalar("UPDATE sluice.accounts SET quota_bytes_override = 2000 WHERE user_id = '" + user +
                              "' RETURNING 0");
    EXPECT_EQ((co_await env.upload(tok, "big", std::string(1000, 'b'))).status, 507);
    RawResponse bad = co_await env.request("PUT", "/v1/files/content?name=sum", tok, "hello",
                                           "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n");
    EXPECT_EQ(bad.status, 400);
    RawResponse m = co_await env.request("GET", "/metrics", "");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(metric(m.body, "sluice_cores"), 1);
    EXPECT_EQ(metric(m.body, "sluice_uploads_started_total"), n + 1);
    EXPECT_EQ(metric(m.body, "sluice_uploads_committed_total"), n);
    EXPECT_EQ(metric(m.body, "sluice_uploads_failed_total"), 1);
    EXPECT_EQ(metric(m.body, "sluice_upload_bytes_total"), bytes + 5);  // the failed upload's 5 bytes reached the store
    EXPECT_EQ(metric(m.body, "sluice_upload_slots_acquired_local_total"), n + 2);
    EXPECT_EQ(metric(m.body, "sluice_upload_slots_in_use"), 0);
    EXPECT_EQ(metric(m.body, "sluice_upload_slots_capacity"), 64);
    EXPECT_EQ(metric(m.body, "sluice_leases_granted_total"), n + 1);
    EXPECT_EQ(metric(m.body, "sluice_leases_refused_total"), 0);
    EXPECT_EQ(metric(m.body, "sluice_pg_ready_connections"), 2);
    EXPECT_GT(metric(m.body, "sluice_pg_queries_total"), 2 * n);
    EXPECT_EQ(metric(m.body, "sluice_redis_ready_connections"), 1);
  });
}

TEST(OpsRoutes, RenderIsPrometheusText) {
  CoreStats s;
  s.cores = 2;
  s.uploads.started = 7;
  s.uploads.bytes = 1234567890123;
  std::string text = render_prometheus(s);
  EXPECT_EQ(metric(text, "sluice_uploads_started_total"), 7);
  EXPECT_EQ(metric(text, "sluice_upload_bytes_total"), 1234567890123);
  EXPECT_NE(text.find("# HELP sluice_cores "), std::string::npos);
  EXPECT_EQ(text.find("sluice_redis_"), std::string::npos) << "no Redis, no Redis series";
  EXPECT_EQ(text.find("sluice_http_"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  CoreStats a, b;
  a.cores = b.cores = 1;
  a.uploads.committed = 2;
  b.uploads.committed = 3;
  b.has_redis = true;
  a += b;
  EXPECT_EQ(a.cores, 2u);
  EXPECT_EQ(a.uploads.committed, 5u);
  EXPECT_NE(render_prometheus(a).find("sluice_redis_commands_total 0\n"), std::string::npos);
}

TEST(OpsRoutes, AdminConcurrencyShowsAndDropsLeases) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("sam");
    std::string admin = token_for(env.user("admin"), auth::Role::admin);
    std::string view = "/v1/admin/concurrency?user=" + user;
    // An upload held in flight: admitted (slot + lease), body not finished.
    auto c = co_await RawHttpClient::connect(env.r, env.port());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return;
    (void)co_await (*c)->send("PUT /v1/files/content?name=slow HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              token_for(user) + "\r\nContent-Length: 10\r\n\r\n12345");
    RawResponse v;
    for (int i = 0; i < 400; ++i) {
      v = co_await env.request("GET", view, admin);
      // The lease is in Redis a moment before the upload's coroutine counts it as granted.
      if (json_int(v.body, "activeUploads") == 1 && json_int(v.body, "granted") == 1) break;
      co_await SleepUntil(env.r, deadline_after(5ms));
    }
    EXPECT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(json_int(v.body, "activeUploads"), 1) << v.body;
    std::string file_id = co_await env.text("SELECT id::text FROM sluice.files WHERE status = 'uploading'");
    EXPECT_EQ(json_field(v.body, "uploadId"), file_id);
    EXPECT_GT(json_int(v.body, "expiresAtMs"), static_cast<int64_t>(time(nullptr)) * 1000);
    EXPECT_EQ(json_int(v.body, "inUse"), 1);  // totals come first: this core's one slot
    EXPECT_NE(v.body.find("\"perCore\":[{\"core\":0,"), std::string::npos);
    EXPECT_NE(v.body.find("\"configured\":true,\"connected\":true"), std::string::npos);
    EXPECT_EQ(json_int(v.body, "leaseTtlSeconds"), 120);
    EXPECT_EQ(json_int(v.body, "granted"), 1);
    // Users may not see it, or drop anything.
    EXPECT_EQ((co_await env.request("GET", view, token_for(user))).status, 403);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/admin/concurrency/users/" + user, token_for(user))).status, 403);
    // The admin drops the user's leases.
    RawResponse d = co_await env.request("DELETE", "/v1/admin/concurrency/users/" + user, admin);
    EXPECT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(json_int(d.body, "dropped"), 1);
    std::vector<std::string> card{"ZCARD", "sluice:leases:{" + user + "}"};
    EXPECT_EQ(co_await env.redis_int(card), 0);
    RawResponse after = co_await env.request("GET", view, admin);
    EXPECT_EQ(json_int(after.body, "activeUploads"), 0) << after.body;
    RawResponse again = co_await env.request("DELETE", "/v1/admin/concurrency/users/" + user, admin);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(json_int(again.body, "dropped"), 0);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/admin/concurrency/users/bad%20user", admin)).status, 400);
    // The held upload still completes; its slot is then free.
    (void)co_await (*c)->send("67890");
    auto done = co_await (*c)->read_response(10s);
    EXPECT_TRUE(done.ok());
    if (done.ok()) {
      EXPECT_EQ(done->status, 201) << done->body;
    }
    co_await (*c)->close();
    RawResponse end = co_await env.request("GET", "/v1/admin/concurrency", admin);
    EXPECT_EQ(json_int(end.body, "inUse"), 0);
    EXPECT_EQ(end.body.find("\"user\":"), std::string::npos) << "no user asked, none shown";
  });
}

}  // namespace
}  // namespace sluice
