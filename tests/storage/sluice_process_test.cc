// The real `sluice` binary as operators run it. A crash: 50 uploads (streaming and multipart)
// in flight or done, `kill -9`, restart, `sluice janitor --once` -> nothing reserved, no store
// multipart upload left, every row available-and-readable or failed/aborted, every acknowledged
// upload intact. tus: kill -9 mid-PATCH, and the same upload resumes from HEAD on the restarted
// server. And two instances on different ports sharing PostgreSQL and Redis: the
// per-user upload limit holds across both.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <map>
#include <set>

#include "storage/store/local/url_signer.h"
#include "tests/storage/multipart_env.h"
#include "tests/support/test_certificate.h"

#ifndef SLUICE_BINARY
#error "SLUICE_BINARY (the sluice executable) must be defined by the build"
#endif

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::json_int;
using testing::json_str;
using testing::kMiB;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// What the processes share: the database, Redis, the store, and the checking handles.
struct Cluster {
  Reactor& r;
  std::string kind;
  std::string pg_url, redis_url, dir, bucket, moto;
  std::string run_id;  // makes user ids (and so Redis lease keys) unique to this run
  std::unique_ptr<PgPool> check;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<ObjectStore> store;

  std::vector<std::string> env(uint16_t port) const {
    std::vector<std::string> e{"SLUICE_PG_URL=" + pg_url,
                               "SLUICE_REDIS_URL=" + redis_url,
                               "SLUICE_JWT_SECRET=" + testing::kMpuSecret,
                               "SLUICE_LISTEN=127.0.0.1:" + std::to_string(port),
                               "SLUICE_CORES=2",
                               "SLUICE_LOG_LEVEL=warn",
                               "SLUICE_STORE=" + kind};
    if (kind == "local") {
      e.push_back("SLUICE_LOCAL_STORE_DIR=" + dir + "/store");
    } else {
      e.push_back("SLUICE_S3_ENDPOINT=" + moto);
      e.push_back("SLUICE_S3_BUCKET=" + bucket);
      e.push_back("AWS_ACCESS_KEY_ID=" + testing::env_or("AWS_ACCESS_KEY_ID", "testing"));
      e.push_back("AWS_SECRET_ACCESS_KEY=" + testing::env_or("AWS_SECRET_ACCESS_KEY", "testing"));
    }
    return e;
  }

  Task<Result<ChildProcess>> start_server(uint16_t port, std::string log, std::vector<std::string> extra = {}) {
    std::vector<std::string> e = env(port);
    for (auto& x : extra) e.push_back(x);
    std::vector<std::string> argv;
    argv.push_back(SLUICE_BINARY);
    argv.push_back("serve");
    auto child = testing::spawn_process(argv, e, log, log);
    if (!child.ok()) co_return child;
    // Ready when /health answers (the process binds after connecting to its dependencies).
    for (int attempt = 0; attempt < 500; ++attempt) {
      auto c = co_await RawHttpClient::connect(r, port);
      if (c.ok()) {
        (void)co_await (*c)->send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        auto resp = co_await (*c)->read_response(2s);
        co_await (*c)->close();
        if (resp.ok() && resp->status == 200) co_return child;
      }
      co_await SleepUntil(r, deadline_after(20ms));
    }
    co_return Error(Errc::timeout, "sluice serve did not become ready; log:\n" + testing::read_file(log));
  }

  Task<RawResponse> req(uint16_t port, std::string method, std::string path, std::string token, std::string body = "") {
    RawResponse bad;
    bad.status = -1;
    auto c = co_await RawHttpClient::connect(r, port);
    if (!c.ok()) co_return bad;
    (void)co_await (*c)->send(method + " " + path + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                              "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    auto resp = co_await (*c)->read_response(60s);
    co_await (*c)->close();
    co_return resp.ok() ? std::move(*resp) : bad;
  }
  Task<int64_t> scalar(std::string sql) {
    auto res = co_await check->execute(std::move(sql));
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    if (!res.ok() || res->rows() == 0 || res->is_null(0, 0)) co_return -1;
    co_return *res->int64(0, 0);
  }
  // Part leases ("{file id}#{n}": a tus PATCH's lock) the user holds now.
  Task<int64_t> part_leases_of(std::string user) {
    std::vector<std::string> range{"ZRANGE", lease_key_for(user), "0", "-1"};
    auto reply = co_await redis->command(std::move(range), deadline_after(2s));
    if (!reply.ok()) co_return -1;
    int64_t n = 0;
    for (const auto& e : reply->elements) n += e.str.find('#') != std::string::npos;
    co_return n;
  }
  Task<int64_t> leases_of(std::string user) {
    std::vector<std::string> card{"ZCARD", lease_key_for(user)};
    auto reply = co_await redis->command(std::move(card), deadline_after(2s));
    co_return reply.ok() ? reply->integer : -1;
  }
};

template <class F>
void with_cluster(const std::string& kind, F test) {
  using testing::service_env;
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  std::string moto;
  if (kind == "s3") {
    auto url = testing::moto_url();
    ASSERT_TRUE(url.has_value());
    moto = *url;
  }
  testing::ScopedTestDatabase db("proc");
  ASSERT_TRUE(db.create());
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-proc-" + db.name());
  std::filesystem::create_directories(dir + "/store");
  std::string bucket = testing::unique_bucket();
  testing::run_reactor([&](Reactor& r) -> Task<void> {
    Cluster c{r,       kind,    db.url(), service_env("SLUICE_TEST_REDIS_URL"), dir, bucket, moto, db.name(),
              nullptr, nullptr, nullptr};
    PgOptions po;
    po.url = c.pg_url;
    po.connections = 1;
    c.check = std::make_unique<PgPool>(r, po);
    Status pg_started = co_await c.check->start();
    EXPECT_TRUE(pg_started.ok());
    auto migrated = co_await apply_migrations(*c.check);
    EXPECT_TRUE(migrated.ok());
    c.redis = std::make_unique<RedisClient>(r, *RedisOptions::from_url(c.redis_url));
    Status redis_started = co_await c.redis->start();
    EXPECT_TRUE(redis_started.ok());
    if (kind == "s3") {
      auto s3 =
          S3Store::create(r, testing::test_s3_options(moto, bucket, testing::env_or("AWS_ACCESS_KEY_ID", "testing"),
                                                      testing::env_or("AWS_SECRET_ACCESS_KEY", "testing")));
      EXPECT_TRUE(s3.ok());
      if (!s3.ok()) co_return;
      Status made = co_await (*s3)->create_bucket();
      EXPECT_TRUE(made.ok());
      c.store = std::move(*s3);
    } else {
      local::LocalStoreOptions lo;
      lo.root = dir + "/store";
      auto ls = local::LocalStore::open(r, lo);
      EXPECT_TRUE(ls.ok());
      if (!ls.ok()) co_return;
      c.store = std::move(*ls);
    }
    co_await test(c);
    co_await c.store->shutdown();
    co_await c.redis->close();
    co_await c.check->close();
  });
  std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------------------------- the crash test

enum class Fate { streamed, streaming, completed, session_with_part, session_only, part_in_flight };

struct Upload {
  Fate fate;
  std::string user, token, content;
  std::string file_id, upload_id;
  int status = 0;                          // the acknowledgement, when one was expected
  std::unique_ptr<RawHttpClient> holding;  // a connection left mid-body when the server dies
};

constexpr uint64_t kPart = 5 * kMiB;

// Runs one upload to its planned point before the kill.
Task<void> drive(Cluster& c, uint16_t port, Upload* u) {
  switch (u->fate) {
    case Fate::streamed: {
      auto r = co_await c.req(port, "PUT", "/v1/files/content?name=s.bin", u->token, u->content);
      u->status = r.status;
      u->file_id = json_str(r.body, "id");
      co_return;
    }
    case Fate::streaming: {
      // Declares more than it sends; S3 gets a big body, which the store streams as multipart.
      uint64_t declared = c.kind == "s3" ? 100 * kMiB : 8 * kMiB;
      auto conn = co_await RawHttpClient::connect(c.r, port);
      if (!conn.ok()) co_return;
      (void)co_await (*conn)->send("PUT /v1/files/content?name=cut.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                   u->token + "\r\nContent-Length: " + std::to_string(declared) + "\r\n\r\n" +
                                   u->content);
      u->holding = std::move(*conn);
      co_return;
    }
    default:
      break;
  }
  uint64_t size = u->fate == Fate::session_only ? 1000 : kPart + 1000;
  std::string init =
      "{\"name\":\"m.bin\",\"size\":" + std::to_string(size) + ",\"partSize\":" + std::to_string(kPart) + "}";
  auto opened = co_await c.req(port, "POST", "/v1/uploads", u->token, init);
  EXPECT_EQ(opened.status, 201) << opened.body;
  u->upload_id = json_str(opened.body, "uploadId");
  u->file_id = json_str(opened.body, "fileId");
  if (u->fate == Fate::session_only) co_return;
  std::string base = "/v1/uploads/" + u->upload_id + "/parts/";
  if (u->fate == Fate::part_in_flight) {
    auto conn = co_await RawHttpClient::connect(c.r, port);
    if (!conn.ok()) co_return;
    (void)co_await (*conn)->send("PUT " + base + "1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + u->token +
                                 "\r\nContent-Length: " + std::to_string(kPart) + "\r\n\r\n" +
                                 u->content.substr(0, kMiB));
    u->holding = std::move(*conn);
    co_return;
  }
  auto p1 = co_await c.req(port, "PUT", base + "1", u->token, u->content.substr(0, kPart));
  EXPECT_EQ(p1.status, 200) << p1.body;
  if (u->fate == Fate::session_with_part) co_return;
  auto p2 = co_await c.req(port, "PUT", base + "2", u->token, u->content.substr(kPart));
  std::string body = "{\"parts\":[{\"partNumber\":1,\"etag\":\"" + json_str(p1.body, "etag") +
                     "\"},{\"partNumber\":2,\"etag\":\"" + json_str(p2.body, "etag") + "\"}]}";
  auto done = co_await c.req(port, "POST", "/v1/uploads/" + u->upload_id + "/complete", u->token, body);
  u->status = done.status;
}

class CrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashTest, KillNineRestartJanitorLeavesNothingAndLosesNothing) {
  with_cluster(GetParam(), [](Cluster& c) -> Task<void> {
    // 50 uploads over 10 users of the 'pro' tier (10 concurrent uploads each).
    std::vector<std::pair<Fate, int>> plan;
    plan.emplace_back(Fate::streamed, 8);
    plan.emplace_back(Fate::streaming, 12);
    plan.emplace_back(Fate::completed, 8);
    plan.emplace_back(Fate::session_with_part, 10);
    plan.emplace_back(Fate::session_only, 6);
    plan.emplace_back(Fate::part_in_flight, 6);
    std::vector<std::unique_ptr<Upload>> uploads;
    for (auto& [fate, count] : plan) {
      for (int i = 0; i < count; ++i) {
        auto u = std::make_unique<Upload>();
        u->fate = fate;
        u->user = "crash" + std::to_string(uploads.size() % 10) + "-" + c.run_id;
        u->token = token_for(u->user);
        // S3 streams its in-flight bodies as multipart: send more than one 8 MiB part of them.
        size_t size = fate == Fate::streamed    ? 256 * 1024
                      : fate == Fate::streaming ? (c.kind == "s3" ? 9 : 1) * kMiB
                                                : kPart + 1000;
        if (fate == Fate::session_only) size = 1000;
        u->content = pattern_bytes(size, static_cast<unsigned>(uploads.size()));
        uploads.push_back(std::move(u));
      }
    }
    EXPECT_EQ(uploads.size(), 50u);
    for (int i = 0; i < 10; ++i)
      (void)co_await c.scalar("INSERT INTO sluice.accounts (user_id, tier) VALUES ('crash" + std::to_string(i) + "-" +
                              c.run_id + "', 'pro') RETURNING 0");
    uint16_t port = free_port();
    std::string log = c.dir + "/serve1.log";
    std::vector<std::string> no_janitor;  // only the manual run repairs
    no_janitor.push_back("SLUICE_JANITOR_INTERVAL=0");
    no_janitor.push_back("SLUICE_RATE_LIMITS=off");  // a burst of uploads as one user
    auto server = co_await c.start_server(port, log, no_janitor);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    if (!server.ok()) co_return;
    TaskGroup group;
    for (auto& u : uploads) spawn(drive(c, port, u.get()), &group);
    co_await group.wait();
    // Every upload has been admitted (its row exists) before the kill.
    int64_t in_flight = 0;
    for (int i = 0; i < 500; ++i) {
      in_flight = co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'uploading'");
      if (in_flight == 12 + 10 + 6 + 6) break;
      co_await SleepUntil(c.r, deadline_after(10ms));
    }
    EXPECT_EQ(in_flight, 34);
    EXPECT_GT(co_await c.scalar("SELECT sum(reserved_bytes) FROM sluice.accounts"), 0);

    kill(server->pid, SIGKILL);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *server), 128 + SIGKILL);
    for (auto& u : uploads)
      if (u->holding) co_await u->holding->close();

    uint16_t port2 = free_port();
    auto restarted = co_await c.start_server(port2, c.dir + "/serve2.log", no_janitor);
    EXPECT_TRUE(restarted.ok()) << (restarted.ok() ? "" : restarted.error().message);
    if (!restarted.ok()) co_return;
    std::vector<std::string> janitor_env = c.env(port2);
    janitor_env.push_back("SLUICE_STALE_UPLOAD_AFTER=0s");
    janitor_env.push_back("SLUICE_UPLOAD_TIMEOUT=0s");
    std::vector<std::string> argv;
    argv.push_back(SLUICE_BINARY);
    argv.push_back("janitor");
    argv.push_back("--once");
    auto janitor = testing::spawn_process(argv, janitor_env, c.dir + "/janitor.out", c.dir + "/janitor.err");
    EXPECT_TRUE(janitor.ok());
    if (!janitor.ok()) co_return;
    int code = co_await testing::wait_exit(c.r, *janitor);
    std::string report = testing::read_file(c.dir + "/janitor.out");
    EXPECT_EQ(code, 0) << report << testing::read_file(c.dir + "/janitor.err");
    EXPECT_EQ(json_int(report, "staleSessions"), 10 + 6 + 6) << report;
    EXPECT_EQ(json_int(report, "orphanUploads"), 12) << report;
    EXPECT_EQ(json_int(report, "errors"), 0) << report;
    // S3Store streams a large body as a multipart upload that the dead process never finished.
    if (c.kind == "s3") {
      EXPECT_GE(json_int(report, "storeUploadsAborted"), 1) << report;
    }

    // Nothing reserved, leased or half-uploaded anywhere.
    EXPECT_EQ(
        co_await c.scalar("SELECT count(*) FROM sluice.accounts WHERE reserved_bytes <> 0 OR reserved_files <> 0"), 0);
    EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.uploads WHERE state IN ('active', 'completing')"), 0);
    EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status NOT IN ('available', 'failed')"), 0);
    auto left = co_await c.store->list_multipart_uploads("u/");
    EXPECT_TRUE(left.ok());
    if (left.ok()) {
      EXPECT_EQ(left->size(), 0u) << "incomplete multipart uploads left in the store";
    }
    for (int i = 0; i < 10; ++i) EXPECT_EQ(co_await c.leases_of("crash" + std::to_string(i) + "-" + c.run_id), 0);
    // Every available row has its object, whole; the store holds nothing else.
    auto rows = co_await c.check->execute("SELECT object_key, size FROM sluice.files WHERE status = 'available'");
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) co_return;
    EXPECT_EQ(rows->rows(), 8 + 8);
    for (int i = 0; i < rows->rows(); ++i) {
      auto h = co_await c.store->head(std::string(rows->text(i, 0)));
      EXPECT_TRUE(h.ok()) << rows->text(i, 0);
      if (h.ok()) {
        EXPECT_EQ(static_cast<int64_t>(h->size), *rows->int64(i, 1));
      }
    }
    auto objects = co_await c.store->list("u/");
    EXPECT_TRUE(objects.ok());
    if (objects.ok()) {
      EXPECT_EQ(objects->size(), 16u) << "objects of failed uploads were left in the store";
    }
    // Every acknowledged upload reads back byte for byte from the restarted server.
    int acknowledged = 0;
    for (auto& u : uploads) {
      if (u->fate != Fate::streamed && u->fate != Fate::completed) continue;
      EXPECT_EQ(u->status, u->fate == Fate::streamed ? 201 : 200);
      auto down = co_await c.req(port2, "GET", "/v1/files/" + u->file_id + "/content", u->token);
      EXPECT_EQ(down.status, 200);
      EXPECT_TRUE(down.body == u->content) << "upload " << u->file_id << " changed";
      ++acknowledged;
    }
    EXPECT_EQ(acknowledged, 16);
    kill(restarted->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *restarted), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, CrashTest, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ------------------------------------------------------------------ kill -9 in the middle of a purge

// Uploads files f<first>, f<first + step>, ... below `count` one after another, keeping their ids.
Task<void> upload_some(Cluster& c, uint16_t port, std::string tok, int first, int step, int count,
                       std::vector<std::string>* ids) {
  for (int i = first; i < count; i += step) {
    std::string name = "f" + std::to_string(i) + ".txt";
    auto r = co_await c.req(port, "PUT", "/v1/files/content?path=%2Fmany&name=" + name, tok, "sixteen bytes..." );
    EXPECT_EQ(r.status, 201) << r.body;
    (*ids)[static_cast<size_t>(i)] = json_str(r.body, "id");
  }
}

// The store and the rows agree: every object has an available or trashed row and every such row
// its object; no purge is left queued; the owner's usage is exactly what its rows hold.
Task<void> expect_store_matches_rows(Cluster& c, std::string user) {
  auto rows = co_await c.check->execute("SELECT object_key FROM sluice.files WHERE status IN ('available', 'trashed')");
  EXPECT_TRUE(rows.ok());
  if (!rows.ok()) co_return;
  std::set<std::string> keys;
  for (int i = 0; i < rows->rows(); ++i) keys.emplace(rows->text(i, 0));
  auto objects = co_await c.store->list("u/");
  EXPECT_TRUE(objects.ok());
  if (!objects.ok()) co_return;
  std::set<std::string> stored(objects->begin(), objects->end());
  int orphans = 0, missing = 0;
  for (const auto& k : stored) orphans += keys.contains(k) ? 0 : 1;
  for (const auto& k : keys) missing += stored.contains(k) ? 0 : 1;
  EXPECT_EQ(orphans, 0) << "objects without a live or trashed row";
  EXPECT_EQ(missing, 0) << "live or trashed rows without their object";
  EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'deleted'"), 0);
  std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
  std::string live = " FROM sluice.files WHERE owner = '" + user + "' AND status IN ('available', 'trashed')";
  int64_t used = co_await c.scalar("SELECT used_bytes" + where);
  int64_t held = co_await c.scalar("SELECT coalesce(sum(size), 0)" + live);
  EXPECT_EQ(used, held);
  int64_t counted = co_await c.scalar("SELECT file_count" + where);
  int64_t rows_left = co_await c.scalar("SELECT count(*)" + live);
  EXPECT_EQ(counted, rows_left);
}

class PurgeCrash : public ::testing::TestWithParam<std::string> {};

TEST_P(PurgeCrash, KillNineMidPurgeThenJanitorLeavesNoOrphanAndNoDanglingRow) {
  with_cluster(GetParam(), [](Cluster& c) -> Task<void> {
    constexpr int kFiles = 1000;
    std::string user = "purger-" + c.run_id;
    std::string tok = token_for(user);
    (void)co_await c.scalar("INSERT INTO sluice.accounts (user_id, tier) VALUES ('" + user + "', 'pro') RETURNING 0");
    uint16_t port = free_port();
    std::vector<std::string> no_janitor;
    no_janitor.push_back("SLUICE_JANITOR_INTERVAL=0");
    no_janitor.push_back("SLUICE_RATE_LIMITS=off");  // a burst of uploads as one user
    auto server = co_await c.start_server(port, c.dir + "/purge1.log", no_janitor);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    if (!server.ok()) co_return;
    // 1,000 small files, 10 at a time (the 'pro' tier's concurrent uploads), then all to the trash.
    std::vector<std::string> ids(kFiles);
    TaskGroup group;
    for (int w = 0; w < 10; ++w) spawn(upload_some(c, port, tok, w, 10, kFiles, &ids), &group);
    co_await group.wait();
    std::string bulk = "{\"ids\":[";
    for (int i = 0; i < kFiles; ++i) bulk += (i ? ",\"" : "\"") + ids[static_cast<size_t>(i)] + "\"";
    auto trashed = co_await c.req(port, "POST", "/v1/files/delete", tok, bulk + "]}");
    EXPECT_EQ(trashed.status, 200);
    EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'trashed'"), kFiles);
    EXPECT_EQ(co_await c.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 16 * kFiles);
    auto before = co_await c.store->list("u/");
    EXPECT_EQ(before.ok() ? static_cast<int>(before->size()) : -1, kFiles);

    // Empty the trash, and kill the server as soon as a purge batch is queued ('deleted' rows):
    // its objects are being removed, later batches are not started.
    auto conn = co_await RawHttpClient::connect(c.r, port);
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) co_return;
    (void)co_await (*conn)->send("DELETE /v1/trash HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok + "\r\n\r\n");
    int64_t queued = 0;
    for (int i = 0; i < 20000 && queued == 0; ++i)
      queued = co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'deleted'");
    kill(server->pid, SIGKILL);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *server), 128 + SIGKILL);
    co_await (*conn)->close();
    int64_t left_trashed = co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'trashed'");
    int64_t left_queued = co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'deleted'");
    auto at_kill = co_await c.store->list("u/");
    long long objects_at_kill = at_kill.ok() ? static_cast<long long>(at_kill->size()) : -1;
    std::printf("purge cut by kill -9 (%s): %lld of %d files still trashed, %lld purges queued, %lld objects left\n",
                c.kind.c_str(), static_cast<long long>(left_trashed), kFiles, static_cast<long long>(left_queued),
                objects_at_kill);
    EXPECT_GT(queued, 0) << "the purge never started";
    EXPECT_GT(left_trashed, 0) << "the kill came after the purge had finished";
    EXPECT_LT(left_trashed, kFiles);
    // The first step of a purge is atomic: usage already excludes every queued row.
    EXPECT_EQ(co_await c.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"),
              16 * left_trashed);
    EXPECT_EQ(co_await c.scalar("SELECT file_count FROM sluice.accounts WHERE user_id = '" + user + "'"), left_trashed);

    // Restart, and one janitor pass once the queued purges are older than its 60 s grace (the
    // rows are aged rather than the test waiting).
    uint16_t port2 = free_port();
    auto restarted = co_await c.start_server(port2, c.dir + "/purge2.log", no_janitor);
    EXPECT_TRUE(restarted.ok()) << (restarted.ok() ? "" : restarted.error().message);
    if (!restarted.ok()) co_return;
    (void)co_await c.scalar(
        "UPDATE sluice.files SET updated_at = now() - interval '2 minutes' WHERE status = 'deleted' RETURNING 0");
    std::vector<std::string> argv;
    argv.push_back(SLUICE_BINARY);
    argv.push_back("janitor");
    argv.push_back("--once");
    auto janitor = testing::spawn_process(argv, c.env(port2), c.dir + "/pj.out", c.dir + "/pj.err");
    EXPECT_TRUE(janitor.ok());
    if (!janitor.ok()) co_return;
    int code = co_await testing::wait_exit(c.r, *janitor);
    std::string report = testing::read_file(c.dir + "/pj.out");
    EXPECT_EQ(code, 0) << report << testing::read_file(c.dir + "/pj.err");
    EXPECT_EQ(json_int(report, "purgesFinished"), left_queued) << report;
    EXPECT_EQ(json_int(report, "errors"), 0) << report;
    co_await expect_store_matches_rows(c, user);
    EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.files WHERE status = 'trashed'"), left_trashed);
    // What the crash left in the trash is still there, and the restarted server purges it.
    auto emptied = co_await c.req(port2, "DELETE", "/v1/trash", tok);
    EXPECT_EQ(emptied.status, 200) << emptied.body;
    EXPECT_EQ(json_int(emptied.body, "purged"), left_trashed) << emptied.body;
    co_await expect_store_matches_rows(c, user);
    EXPECT_EQ(co_await c.scalar("SELECT count(*) FROM sluice.files"), 0);
    auto after = co_await c.store->list("u/");
    EXPECT_EQ(after.ok() ? static_cast<int>(after->size()) : -1, 0);
    kill(restarted->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *restarted), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, PurgeCrash, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ------------------------------------------------------------------------- tus after a crash

// A raw tus request (HEAD reads no body); status -1 when the server cannot be reached.
Task<RawResponse> tus_req(Cluster& c, uint16_t port, std::string method, std::string path, std::string token,
                          std::string headers, std::string body = "") {
  RawResponse bad;
  bad.status = -1;
  auto conn = co_await RawHttpClient::connect(c.r, port);
  if (!conn.ok()) co_return bad;
  (void)co_await (*conn)->send(method + " " + path + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                               "\r\nTus-Resumable: 1.0.0\r\n" + headers + "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
  auto resp = co_await (*conn)->read_response(60s, method == "HEAD");
  co_await (*conn)->close();
  co_return resp.ok() ? std::move(*resp) : bad;
}

class TusCrash : public ::testing::TestWithParam<std::string> {};

// The server dies (kill -9) in the middle of a PATCH: after a restart, HEAD gives an offset no
// later than the bytes acknowledged plus what the dead PATCH could have stored, the client sends
// the rest from there (retrying 423 while the dead PATCH's lock times out, as tus clients do),
// and the file reads back byte for byte, with nothing left reserved and no tail segment left.
TEST_P(TusCrash, KillNineMidPatchThenTheSameUploadResumesFromHead) {
  with_cluster(GetParam(), [](Cluster& c) -> Task<void> {
    std::string user = "tuscrash-" + c.run_id, tok = token_for(user);
    std::string content = pattern_bytes(20 * kMiB + 123, 17);
    // A short lease TTL: a lock held by a dead process frees itself after it (default 2 minutes).
    std::vector<std::string> extra{"SLUICE_JANITOR_INTERVAL=0", "SLUICE_LEASE_TTL=3s"};
    uint16_t port = free_port();
    auto server = co_await c.start_server(port, c.dir + "/tus1.log", extra);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    if (!server.ok()) co_return;
    auto created = co_await tus_req(c, port, "POST", "/v1/tus", tok,
                                    "Upload-Length: " + std::to_string(content.size()) +
                                        "\r\nUpload-Metadata: filename Y3Jhc2guYmlu\r\n");  // crash.bin
    EXPECT_EQ(created.status, 201) << created.body;
    std::string loc = created.header("location");
    std::string path = loc.substr(loc.find("/v1/tus/"));
    const std::string kStream = "Content-Type: application/offset+octet-stream\r\n";
    // Acknowledged: 3 MiB (a tail segment), then 6 MiB (completes the first 8 MiB part, leaves a tail).
    uint64_t acked = 0;
    for (uint64_t n : {3 * kMiB, 6 * kMiB}) {
      auto r = co_await tus_req(c, port, "PATCH", path, tok, kStream + "Upload-Offset: " + std::to_string(acked) + "\r\n",
                                content.substr(acked, n));
      EXPECT_EQ(r.status, 204) << r.body;
      acked += n;
      EXPECT_EQ(r.header("upload-offset"), std::to_string(acked));
    }
    // A PATCH declaring 8 MiB sends 2 MiB, and the server dies while it holds the upload's lock.
    // (The last PATCH's lock is released just after its answer: wait until it is gone.)
    for (int i = 0; i < 1000 && co_await c.part_leases_of(user) != 0; ++i) co_await SleepUntil(c.r, deadline_after(5ms));
    EXPECT_EQ(co_await c.part_leases_of(user), 0);
    auto half = co_await RawHttpClient::connect(c.r, port);
    EXPECT_TRUE(half.ok());
    if (!half.ok()) co_return;
    (void)co_await (*half)->send("PATCH " + path + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                                 "\r\nTus-Resumable: 1.0.0\r\n" + kStream + "Upload-Offset: " +
                                 std::to_string(acked) + "\r\nContent-Length: " + std::to_string(8 * kMiB) +
                                 "\r\n\r\n" + content.substr(acked, 2 * kMiB));
    for (int i = 0; i < 1000 && co_await c.part_leases_of(user) < 1; ++i) co_await SleepUntil(c.r, deadline_after(5ms));
    EXPECT_EQ(co_await c.part_leases_of(user), 1) << "the half-sent PATCH never took the upload's lock";
    kill(server->pid, SIGKILL);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *server), 128 + SIGKILL);
    co_await (*half)->close();

    uint16_t port2 = free_port();
    auto restarted = co_await c.start_server(port2, c.dir + "/tus2.log", extra);
    EXPECT_TRUE(restarted.ok()) << (restarted.ok() ? "" : restarted.error().message);
    if (!restarted.ok()) co_return;
    auto h = co_await tus_req(c, port2, "HEAD", path, tok, "");
    EXPECT_EQ(h.status, 200) << h.body;
    uint64_t at = h.header("upload-offset").empty() ? 0 : std::stoull(h.header("upload-offset"));
    EXPECT_GE(at, acked) << "acknowledged bytes were lost";
    EXPECT_LE(at, acked + 2 * kMiB) << "the offset counts bytes that were never sent";
    RawResponse last;
    int locked = 0;
    for (int attempt = 0; attempt < 100; ++attempt) {  // tus clients retry 423 with a delay
      last = co_await tus_req(c, port2, "PATCH", path, tok, kStream + "Upload-Offset: " + std::to_string(at) + "\r\n",
                              content.substr(at));
      if (last.status != 423) break;
      ++locked;
      co_await SleepUntil(c.r, deadline_after(200ms));
    }
    RecordProperty("patches_refused_423_while_the_dead_lock_lived", locked);
    EXPECT_EQ(last.status, 204) << last.body;
    EXPECT_EQ(last.header("upload-offset"), std::to_string(content.size()));
    std::string file_id = last.header("sluice-file-id");
    EXPECT_FALSE(file_id.empty());
    auto down = co_await c.req(port2, "GET", "/v1/files/" + file_id + "/content", tok);
    EXPECT_EQ(down.status, 200);
    EXPECT_TRUE(down.body == content) << "the resumed upload reads back different bytes";
    EXPECT_EQ(co_await c.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
    EXPECT_EQ(co_await c.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"),
              static_cast<int64_t>(content.size()));
    auto objects = co_await c.store->list("u/");
    EXPECT_TRUE(objects.ok());
    if (objects.ok()) {
      EXPECT_EQ(objects->size(), 1u) << "tail segments or other objects were left in the store";
    }
    kill(restarted->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *restarted), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, TusCrash, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ------------------------------------------------------------------------- shutdown

// SIGTERM with SLUICE_SHUTDOWN_DELAY: readiness says 503 `stopping` at once while requests are
// still served; after the delay the listener closes (connections refused) and the process exits 0.
TEST(Shutdown, ReadinessTurns503FirstThenTheListenerCloses) {
  with_cluster("local", [](Cluster& c) -> Task<void> {
    uint16_t port = free_port();
    std::vector<std::string> extra{"SLUICE_SHUTDOWN_DELAY=2s"};
    auto server = co_await c.start_server(port, c.dir + "/stop.log", extra);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    if (!server.ok()) co_return;
    std::string tok = token_for("stopper-" + c.run_id);
    EXPECT_EQ((co_await c.req(port, "GET", "/health/ready", "")).status, 200);
    kill(server->pid, SIGTERM);
    RawResponse ready;
    for (int i = 0; i < 100; ++i) {  // the signal reaches every core within milliseconds
      ready = co_await c.req(port, "GET", "/health/ready", "");
      if (ready.status == 503) break;
      co_await SleepUntil(c.r, deadline_after(10ms));
    }
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find("\"code\":\"stopping\""), std::string::npos) << ready.body;
    auto up = co_await c.req(port, "PUT", "/v1/files/content?name=late.bin", tok, "still taken");
    EXPECT_EQ(up.status, 201) << "an upload during the delay was refused: " << up.body;
    EXPECT_EQ(co_await testing::wait_exit(c.r, *server), 0);
    auto refused = co_await RawHttpClient::connect(c.r, port);
    EXPECT_FALSE(refused.ok()) << "the listener still accepts after the drain";
    if (refused.ok()) co_await (*refused)->close();
  });
}

// ------------------------------------------------------------------------- two instances

// An upload that trickles its body so it stays in flight for a while.
Task<void> slow_upload(Cluster& c, uint16_t port, std::string tok, int n, int* status) {
  auto conn = co_await RawHttpClient::connect(c.r, port);
  if (!conn.ok()) co_return;
  (void)co_await (*conn)->send("PUT /v1/files/content?name=slow-" + std::to_string(n) +
                               ".bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                               "\r\nContent-Length: 10\r\n\r\n");
  for (int i = 0; i < 10; ++i) {
    co_await SleepUntil(c.r, deadline_after(30ms));
    if (!(co_await (*conn)->send("s")).ok()) break;
  }
  auto r = co_await (*conn)->read_response(10s);
  *status = r.ok() ? r->status : -1;
  co_await (*conn)->close();
}

TEST(TwoInstances, PerUserLimitHoldsAcrossInstances) {
  with_cluster("local", [](Cluster& c) -> Task<void> {
    uint16_t a = free_port(), b = free_port();
    auto first = co_await c.start_server(a, c.dir + "/a.log");
    auto second = co_await c.start_server(b, c.dir + "/b.log");
    EXPECT_TRUE(first.ok() && second.ok());
    if (!first.ok() || !second.ok()) co_return;
    std::string user = "both-" + c.run_id, tok = token_for(user);  // the free tier: 2 uploads at once
    // Multipart sessions hold their lease until they end: alternate instances.
    std::vector<std::string> opened;
    int refused = 0;
    for (int i = 0; i < 6; ++i) {
      auto r = co_await c.req(i % 2 ? b : a, "POST", "/v1/uploads", tok, "{\"name\":\"m.bin\",\"size\":100}");
      // sluice serve limits request rates unless SLUICE_RATE_LIMITS=off: the free tier's 600/min.
      EXPECT_EQ(r.header("ratelimit-limit"), "600") << "answer " << i << " lacks the default rate limit";
      if (r.status == 201)
        opened.push_back(json_str(r.body, "uploadId"));
      else if (r.status == 429)
        ++refused;
    }
    EXPECT_EQ(opened.size(), 2u);
    EXPECT_EQ(refused, 4);
    EXPECT_EQ((co_await c.req(b, "PUT", "/v1/files/content?name=s.bin", tok, "x")).status, 429);
    // Ending a session on one instance frees the slot on the other.
    EXPECT_EQ((co_await c.req(b, "DELETE", "/v1/uploads/" + opened[0], tok)).status, 204);
    EXPECT_EQ((co_await c.req(a, "POST", "/v1/uploads", tok, "{\"name\":\"m.bin\",\"size\":100}")).status, 201);
    auto open_now = co_await c.check->execute("SELECT id::text FROM sluice.uploads WHERE state = 'active'");
    EXPECT_TRUE(open_now.ok());
    for (int i = 0; open_now.ok() && i < open_now->rows(); ++i)
      (void)co_await c.req(b, "DELETE", "/v1/uploads/" + std::string(open_now->text(i, 0)), tok);
    EXPECT_EQ(co_await c.leases_of(user), 0);
    // Streaming uploads to both instances at once: never more than 2 in flight for the user.
    std::vector<int> statuses(12, 0);
    TaskGroup group;
    for (int i = 0; i < 12; ++i) spawn(slow_upload(c, i % 2 ? b : a, tok, i, &statuses[static_cast<size_t>(i)]), &group);
    int64_t max_seen = 0;
    while (group.size() > 0) {
      max_seen = std::max(max_seen, co_await c.leases_of(user));
      co_await SleepUntil(c.r, deadline_after(5ms));
    }
    co_await group.wait();
    int ok = 0, limited = 0;
    for (int s : statuses) {
      if (s == 201)
        ++ok;
      else if (s == 429)
        ++limited;
    }
    EXPECT_LE(max_seen, 2);
    EXPECT_GE(max_seen, 1);
    EXPECT_EQ(ok + limited, 12);
    EXPECT_GE(ok, 2);
    EXPECT_EQ(co_await c.scalar("SELECT file_count FROM sluice.accounts WHERE user_id = '" + user + "'"), ok);
    EXPECT_EQ(co_await c.leases_of(user), 0);
    // Both shut down cleanly on SIGTERM (their janitor tasks stop with them).
    kill(first->pid, SIGTERM);
    kill(second->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *first), 0) << testing::read_file(c.dir + "/a.log");
    EXPECT_EQ(co_await testing::wait_exit(c.r, *second), 0) << testing::read_file(c.dir + "/b.log");
  });
}

// ------------------------------------------------------------------------- signed local URLs

struct SignedPart {
  std::string url;
  std::string authority;     // host:port of the URL
  std::string path_and_query;
};

// Opens a 100-byte multipart session and asks for the signed URL of its part 1.
Task<SignedPart> sign_part(Cluster& c, uint16_t port, std::string tok, std::string* upload_id) {
  SignedPart out;
  auto opened = co_await c.req(port, "POST", "/v1/uploads", tok, "{\"name\":\"p.bin\",\"size\":100}");
  EXPECT_EQ(opened.status, 201) << opened.body;
  *upload_id = json_str(opened.body, "uploadId");
  auto signed_url = co_await c.req(port, "POST", "/v1/uploads/" + *upload_id + "/parts/1/url", tok, "");
  EXPECT_EQ(signed_url.status, 200) << signed_url.body;
  out.url = json_str(signed_url.body, "url");
  std::string_view rest = out.url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    out.authority = std::string(rest.substr(0, slash));
    out.path_and_query = std::string(rest.substr(slash));
  }
  co_return out;
}

Task<RawResponse> put_signed(Cluster& c, uint16_t port, std::string path_and_query, std::string body) {
  RawResponse bad;
  bad.status = -1;
  auto conn = co_await RawHttpClient::connect(c.r, port);
  if (!conn.ok()) co_return bad;
  (void)co_await (*conn)->send("PUT " + path_and_query + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
  auto resp = co_await (*conn)->read_response(10s);
  co_await (*conn)->close();
  co_return resp.ok() ? std::move(*resp) : bad;
}

// Without SLUICE_PUBLIC_URL a signed URL names the address Sluice listens on (it named
// 127.0.0.1:8080 whatever --listen said); without SLUICE_URL_SECRET the key is a random one of
// the process (it was the JWT secret): the URL works on its own instance only, and is not an
// HMAC under the JWT secret.
TEST(SignedLocalUrls, NameTheListenAddressAndNeverUseTheJwtSecret) {
  with_cluster("local", [](Cluster& c) -> Task<void> {
    uint16_t a = free_port(), b = free_port();
    auto first = co_await c.start_server(a, c.dir + "/a.log");
    auto second = co_await c.start_server(b, c.dir + "/b.log");
    EXPECT_TRUE(first.ok() && second.ok());
    if (!first.ok() || !second.ok()) co_return;
    std::string tok = token_for("signer-" + c.run_id);
    std::string upload_id;
    SignedPart part = co_await sign_part(c, a, tok, &upload_id);
    EXPECT_EQ(part.authority, "127.0.0.1:" + std::to_string(a)) << part.url;
    EXPECT_NE(testing::read_file(c.dir + "/a.log").find("url_secret_generated"), std::string::npos);
    // Not signed with the JWT secret: recompute the HMAC from the URL's own fields.
    std::string_view q = part.path_and_query;
    auto field = [&](std::string_view name) -> std::string {
      size_t at = q.find("&" + std::string(name) + "=");
      if (at == std::string_view::npos) at = q.find("?" + std::string(name) + "=");
      if (at == std::string_view::npos) return {};
      std::string_view v = q.substr(at + name.size() + 2);
      return std::string(v.substr(0, v.find('&')));
    };
    std::string_view key = q.substr(local::kLocalObjectsRoute.size());
    key = key.substr(0, key.find('?'));
    local::LocalUrlSigner jwt_keyed(local::LocalUrlSignerOptions{testing::kMpuSecret, "", 60, 604800});
    std::string expires = field("expires");
    EXPECT_FALSE(expires.empty()) << part.url;
    EXPECT_NE(jwt_keyed.sign("PUT", key, field("upload_id"), 1, std::atoll(expires.c_str())), field("sig"));
    // The other instance has its own random key: the URL is refused there, accepted here.
    std::string body(100, 'p');
    auto elsewhere = co_await put_signed(c, b, part.path_and_query, body);
    EXPECT_EQ(elsewhere.status, 403) << elsewhere.body;
    auto here = co_await put_signed(c, a, part.path_and_query, body);
    EXPECT_EQ(here.status, 200) << here.body;
    (void)co_await c.req(a, "DELETE", "/v1/uploads/" + upload_id, tok);
    kill(first->pid, SIGTERM);
    kill(second->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *first), 0);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *second), 0);

    // A shared SLUICE_URL_SECRET (what tools/run persists) makes URLs work across instances;
    // one equal to the JWT secret is refused at start.
    std::vector<std::string> shared;
    shared.push_back("SLUICE_URL_SECRET=" + std::string(64, 'k'));
    uint16_t d = free_port(), e = free_port();
    auto third = co_await c.start_server(d, c.dir + "/d.log", shared);
    auto fourth = co_await c.start_server(e, c.dir + "/e.log", shared);
    EXPECT_TRUE(third.ok() && fourth.ok());
    if (!third.ok() || !fourth.ok()) co_return;
    EXPECT_EQ(testing::read_file(c.dir + "/d.log").find("url_secret_generated"), std::string::npos);
    SignedPart shared_part = co_await sign_part(c, d, tok, &upload_id);
    EXPECT_EQ(shared_part.authority, "127.0.0.1:" + std::to_string(d)) << shared_part.url;
    auto across = co_await put_signed(c, e, shared_part.path_and_query, body);
    EXPECT_EQ(across.status, 200) << across.body;
    (void)co_await c.req(d, "DELETE", "/v1/uploads/" + upload_id, tok);
    kill(third->pid, SIGTERM);
    kill(fourth->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *third), 0);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *fourth), 0);

    std::vector<std::string> argv;
    argv.push_back(SLUICE_BINARY);
    argv.push_back("serve");
    std::vector<std::string> same_env = c.env(free_port());
    same_env.push_back("SLUICE_URL_SECRET=" + testing::kMpuSecret);
    auto refused = testing::spawn_process(argv, same_env, c.dir + "/same.log", c.dir + "/same.log");
    EXPECT_TRUE(refused.ok());
    if (!refused.ok()) co_return;
    EXPECT_EQ(co_await testing::wait_exit(c.r, *refused), 2);
    EXPECT_NE(testing::read_file(c.dir + "/same.log").find("SLUICE_URL_SECRET"), std::string::npos);
  });
}

// The default connection cap must not shrink to a handful when the slot count is large (the
// benchmarks run with 20,000 slots per core): with a 4,096-descriptor limit it was 64 per core,
// and every connection past 64 got 503 too_many_connections.
TEST(ConnectionCap, DefaultStaysLargeWithManySlots) {
  rlimit low{4096, 4096};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);  // inherited by the server started below
  with_cluster("local", [](Cluster& c) -> Task<void> {
    uint16_t port = free_port();
    std::vector<std::string> slots;
    slots.push_back("SLUICE_SLOTS_PER_CORE=20000");
    auto server = co_await c.start_server(port, c.dir + "/cap.log", slots);
    EXPECT_TRUE(server.ok());
    if (!server.ok()) co_return;
    std::vector<std::unique_ptr<RawHttpClient>> held;
    for (int i = 0; i < 300; ++i) {
      auto conn = co_await RawHttpClient::connect(c.r, port);
      EXPECT_TRUE(conn.ok());
      if (!conn.ok()) break;
      held.push_back(std::move(*conn));
    }
    auto health = co_await c.req(port, "GET", "/health", "");
    EXPECT_EQ(health.status, 200) << health.body;
    for (auto& h : held) co_await h->close();
    kill(server->pid, SIGTERM);
    int exit_status = co_await testing::wait_exit(c.r, *server);
    EXPECT_EQ(exit_status, 0) << testing::read_file(c.dir + "/cap.log");
  });
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// HTTPS beside HTTP on the real binary: an upload over TLS (curl verifying the certificate) reads
// back intact over TLS; SIGHUP with an expired certificate in the files is refused with a clear
// log line and the old certificate keeps serving; SIGHUP with a good new one switches new
// connections to it; starting with an expired certificate fails with a message naming it.
TEST(TlsListener, UploadOverHttpsAndSighupRefusesAnExpiredCertificate) {
  with_cluster("local", [](Cluster& c) -> Task<void> {
    using testing::make_test_certificate;
    std::filesystem::path d = c.dir;
    auto first = make_test_certificate(d, "first", "sluice-first", -60, 86400);
    auto expired = make_test_certificate(d, "expired", "sluice-expired", -7200, -3600);
    auto second = make_test_certificate(d, "second", "sluice-second", -60, 86400);
    std::string cert = c.dir + "/live.crt", key = c.dir + "/live.key";
    auto install = [&](const testing::CertFiles& f) {
      std::filesystem::copy_file(f.cert, cert, std::filesystem::copy_options::overwrite_existing);
      std::filesystem::copy_file(f.key, key, std::filesystem::copy_options::overwrite_existing);
    };
    install(first);
    uint16_t port = free_port(), tls_port = free_port();
    std::vector<std::string> tls_env;
    tls_env.push_back("SLUICE_TLS_LISTEN=127.0.0.1:" + std::to_string(tls_port));
    tls_env.push_back("SLUICE_TLS_CERT=" + cert);
    tls_env.push_back("SLUICE_TLS_KEY=" + key);
    std::string log = c.dir + "/tls.log";
    auto server = co_await c.start_server(port, log, tls_env);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    if (!server.ok()) co_return;
    std::string base = "https://127.0.0.1:" + std::to_string(tls_port);
    std::string tok = token_for("tls-" + c.run_id);
    std::string body = pattern_bytes(3 * kMiB + 123, 7);
    testing::write_file(c.dir + "/up.bin", body);
    std::vector<std::string> auth;
    auth.push_back("-H");
    auth.push_back("Authorization: Bearer " + tok);
    auto with_ca = [&](const std::string& ca) {
      std::vector<std::string> a = auth;
      a.push_back("--cacert");
      a.push_back(ca);
      return a;
    };
    std::vector<std::string> first_ca = with_ca(first.cert);
    auto up = co_await testing::run_curl(c.r, "PUT", base + "/v1/files/content?name=tls.bin", c.dir + "/up.bin",
                                         first_ca, c.dir, "up");
    EXPECT_EQ(up.exit_code, 0) << testing::read_file(c.dir + "/up.err");
    EXPECT_EQ(up.status, 201) << up.body;
    std::string id = json_str(up.body, "id");
    EXPECT_FALSE(id.empty()) << up.body;
    auto down = co_await testing::run_curl(c.r, "GET", base + "/v1/files/" + id + "/content", "", first_ca, c.dir,
                                           "down");
    EXPECT_EQ(down.status, 200);
    EXPECT_TRUE(down.body == body) << "downloaded " << down.body.size() << " bytes";

    // An expired pair in the files: refused, logged, the first certificate still serves.
    install(expired);
    kill(server->pid, SIGHUP);
    std::string refused;
    for (int i = 0; i < 500 && refused.empty(); ++i) {
      std::string text = testing::read_file(log);
      size_t at = text.find("\"tls_reload_refused\"");
      if (at != std::string::npos) refused = text.substr(at, text.find('\n', at) - at);
      else co_await SleepUntil(c.r, deadline_after(10ms));
    }
    EXPECT_NE(refused.find("expired"), std::string::npos) << refused;
    EXPECT_NE(refused.find("previous certificate keeps serving"), std::string::npos) << refused;
    auto still = co_await testing::run_curl(c.r, "GET", base + "/health", "", first_ca, c.dir, "still");
    EXPECT_EQ(still.exit_code, 0) << testing::read_file(c.dir + "/still.err");
    EXPECT_EQ(still.status, 200);

    // A good new pair: new connections get it (curl trusting only the new one succeeds).
    install(second);
    kill(server->pid, SIGHUP);
    std::vector<std::string> second_ca = with_ca(second.cert);
    testing::CurlResult switched;
    for (int i = 0; i < 200; ++i) {
      switched = co_await testing::run_curl(c.r, "GET", base + "/health", "", second_ca, c.dir, "switched");
      if (switched.status == 200) break;
      co_await SleepUntil(c.r, deadline_after(10ms));
    }
    EXPECT_EQ(switched.status, 200) << testing::read_file(c.dir + "/switched.err");
    auto old_ca = co_await testing::run_curl(c.r, "GET", base + "/health", "", first_ca, c.dir, "old");
    EXPECT_NE(old_ca.exit_code, 0);  // the first certificate is no longer served
    kill(server->pid, SIGTERM);
    EXPECT_EQ(co_await testing::wait_exit(c.r, *server), 0);

    // Starting with the expired pair fails, naming the file and the reason.
    install(expired);
    std::vector<std::string> argv;
    argv.push_back(SLUICE_BINARY);
    argv.push_back("serve");
    std::vector<std::string> e = c.env(free_port());
    for (auto& x : tls_env) e.push_back(x);
    auto bad = testing::spawn_process(argv, e, c.dir + "/bad.log", c.dir + "/bad.log");
    EXPECT_TRUE(bad.ok());
    if (!bad.ok()) co_return;
    EXPECT_EQ(co_await testing::wait_exit(c.r, *bad), 2);
    std::string bad_log = testing::read_file(c.dir + "/bad.log");
    EXPECT_NE(bad_log.find("expired"), std::string::npos) << bad_log;
    EXPECT_NE(bad_log.find(cert), std::string::npos) << bad_log;
  });
}

}  // namespace
}  // namespace sluice
