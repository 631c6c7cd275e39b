// End to end: the upload API on a real reactor with real PostgreSQL, Redis and the local store
// (and, in the S3 variants, moto): uploads read back byte for byte, every refusal with its status,
// failure paths leave nothing reserved, leased or stored, and limits hold under concurrency.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <ctime>
#include <string>

#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::id_in;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;
using Env = testing::UploadEnv;

// Every scenario runs on the local store and on S3 (moto).
class UploadApi : public ::testing::TestWithParam<std::string> {
 protected:
  template <class F>
  void with_env(F test, std::function<void(ServiceConfig&)> tweak = {}, ServerOptions server = ServerOptions()) {
    testing::with_upload_env(GetParam(), std::move(test), std::move(tweak), server);
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, UploadApi, ::testing::Values("local", "s3"), testing::store_name);

TEST_P(UploadApi, UploadsReadBackByteForByte) {
  with_env([](Env& env) -> Task<void> {
    std::string tok = token_for(env.user("alice"));
    for (size_t size : {size_t{0}, size_t{1}, size_t{(5u << 20) + 1}, size_t{64u << 20}}) {
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
    EXPECT_EQ(used, static_cast<int64_t>((5u << 20) + 2 + (64u << 20)));
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 4);
    EXPECT_EQ(co_await env.stored_objects(), 4);
  });
}

// ---------------------------------------------------------------- chunked bodies (unknown length)

TEST_P(UploadApi, ChunkedUploadsReadBackByteForByte) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("chunky");
    std::string tok = token_for(user);
    uint64_t total = 0;
    // 17 MiB + 5 crosses part boundaries on S3 (8 MiB parts): a multipart upload of unknown length.
    for (size_t size : {size_t{0}, size_t{1}, size_t{(5u << 20) + 1}, size_t{(17u << 20) + 5}}) {
      std::string body = pattern_bytes(size, static_cast<unsigned>(size) + 7);
      auto up = co_await env.upload_chunked(tok, "path=%2Fc&name=c" + std::to_string(size) + ".bin", body, 100000,
                                            "Content-Type: application/x-chunked\r\n");
      EXPECT_TRUE(up.ok());
      if (!up.ok()) co_return;
      EXPECT_EQ(up->status, 201) << up->body;
      EXPECT_NE(up->body.find("\"size\":" + std::to_string(size) + ","), std::string::npos) << up->body;
      std::string id = id_in(up->body);
      auto down = co_await env.get(tok, "/v1/files/" + id + "/content");
      EXPECT_TRUE(down.ok());
      if (!down.ok()) co_return;
      EXPECT_EQ(down->status, 200);
      EXPECT_EQ(down->header("content-type"), "application/x-chunked");
      EXPECT_TRUE(down->body == body) << "content differs for size " << size;
      total += size;
    }
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), static_cast<int64_t>(total));
    EXPECT_EQ(co_await env.scalar("SELECT file_count" + where), 4);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes" + where), 0);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_files" + where), 0);
    EXPECT_EQ(co_await env.stored_objects(), 4);
    EXPECT_EQ(co_await env.open_multipart_uploads(), 0);
  });
}

// While a chunked body streams, the tier's max file size is reserved; the commit settles to the
// real size. Checksums work as with Content-Length.
TEST_P(UploadApi, ChunkedReservesTheTierMaxThenSettles) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("settle");
    std::string tok = token_for(user);
    auto c = co_await RawHttpClient::connect(env.r, env.port());
    if (!c.ok()) co_return;
    // MD5 of "hello world".
    (void)co_await (*c)->send("PUT /v1/files/content?name=hw.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                              "\r\nTransfer-Encoding: chunked\r\nContent-MD5: XrY7u+Ae7tCTyyK7j1rNww==\r\n\r\n6\r\nhello \r\n");
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    int64_t reserved = -1;
    for (int i = 0; i < 500 && reserved <= 0; ++i) {
      reserved = co_await env.scalar("SELECT reserved_bytes" + where);
      if (reserved <= 0) co_await SleepUntil(env.r, deadline_after(5ms));
    }
    EXPECT_EQ(reserved, 104857600);  // the free tier's max file size
    (void)co_await (*c)->send("5\r\nworld\r\n0\r\n\r\n");
    auto r = co_await (*c)->read_response(20s);
    co_await (*c)->close();
    EXPECT_TRUE(r.ok());
    if (!r.ok()) co_return;
    EXPECT_EQ(r->status, 201) << r->body;
    EXPECT_NE(r->body.find("\"md5\":\"5eb63bbbe01eeed093cb22bb8f5acdc3\""), std::string::npos) << r->body;
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), 11);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes" + where), 0);
    // A wrong checksum on a chunked body fails like any other and leaves nothing.
    auto bad = co_await env.upload_chunked(tok, "name=bad.txt", "hello world", 4, "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n");
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find("checksum_mismatch"), std::string::npos) << bad->body;
    co_await env.expect_clean(user, 1);
  });
}

TEST_P(UploadApi, ChunkedFailuresReleaseEverything) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("chunkfail");
    std::string tok = token_for(user);
    (void)co_await env.scalar(
        "INSERT INTO sluice.tiers (name, quota_bytes, max_file_bytes, max_files, max_concurrent_uploads) "
        "VALUES ('tiny', 100000000, 20000000, 10, 2) RETURNING 0");
    (void)co_await env.scalar("INSERT INTO sluice.accounts (user_id, tier) VALUES ('" + user + "', 'tiny') RETURNING 0");
    // Over the tier's 20,000,000-byte limit, found only while streaming (on S3, after two 8 MiB
    // parts went up: the multipart upload is aborted).
    auto over = co_await env.upload_chunked(tok, "name=over.bin", pattern_bytes(20000001, 3), 65536);
    EXPECT_TRUE(over.ok());
    if (over.ok()) {
      EXPECT_EQ(over->status, 413) << over->body;
      EXPECT_NE(over->body.find("\"error\""), std::string::npos);
    }
    // Exactly at the limit is fine.
    auto at = co_await env.upload_chunked(tok, "name=at.bin", pattern_bytes(20000000, 4), 65536);
    EXPECT_EQ(at.ok() ? at->status : -1, 201);
    // The client disconnects mid-body, once within the first part and once after it.
    for (size_t sent : {size_t{300000}, size_t{9000000}}) {
      auto c = co_await RawHttpClient::connect(env.r, env.port());
      if (!c.ok()) co_return;
      (void)co_await (*c)->send("PUT /v1/files/content?name=gone.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                tok + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                testing::chunked(pattern_bytes(sent, 5), 65536).substr(0, sent));
      co_await SleepUntil(env.r, deadline_after(100ms));
      co_await (*c)->close();
    }
    co_await env.expect_clean(user, 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 3);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 20000000);
  });
}

TEST_P(UploadApi, RefusalsHaveStatusAndJson) {
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

TEST_P(UploadApi, OthersFilesDoNotExist) {
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

TEST_P(UploadApi, FailurePathsReleaseEverything) {
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
    co_await env.expect_clean(user, 0);  // the bucket (or directory) listed: nothing stored
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 0);
  });
}

TEST_P(UploadApi, BodyTimeoutReleasesEverything) {
  ServerOptions server;
  server.body_idle_timeout = 300ms;
  with_env(
      [](Env& env) -> Task<void> {
        std::string user = env.user("stall");
        std::string tok = token_for(user);
        auto c = co_await RawHttpClient::connect(env.r, env.port());
        (void)co_await (*c)->send("PUT /v1/files/content?name=stalled.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                  tok + "\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 's'));
        auto resp = co_await (*c)->read_response(10s);  // then the client goes silent
        EXPECT_TRUE(resp.ok());
        if (resp.ok()) {
          EXPECT_EQ(resp->status, 408);
          EXPECT_NE(resp->body.find("request_timeout"), std::string::npos);
        }
        co_await (*c)->close();
        co_await env.expect_clean(user, 0);
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 1);
      },
      {}, server);
}

// The store fails mid-upload (local store: its staging directory becomes unwritable; the S3
// store's failures are covered at the store level in s3_store_fault_test): the client gets a 5xx
// JSON error and nothing stays reserved, leased or stored.
TEST(UploadApiLocal, StoreFailureReleasesEverything) {
  testing::with_upload_env("local", [](Env& env) -> Task<void> {
    std::string user = env.user("unlucky");
    std::string tok = token_for(user);
    std::filesystem::remove_all(env.store_dir + "/tmp");
    std::ofstream(env.store_dir + "/tmp") << "not a directory";
    auto r = co_await env.upload(tok, "name=lost.bin", std::string(200000, 'x'));
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      EXPECT_GE(r->status, 500) << r->body;
      EXPECT_NE(r->body.find("\"error\""), std::string::npos);
    }
    std::filesystem::remove(env.store_dir + "/tmp");
    co_await env.expect_clean(user, 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 1);
  });
}

Task<void> upload_into(Env& env, std::string tok, std::string name, std::string body, int* status) {
  auto r = co_await env.upload(tok, "name=" + name, std::move(body));
  *status = r.ok() ? r->status : -1;
}

TEST_P(UploadApi, QuotaHoldsUnderConcurrency) {
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

TEST_P(UploadApi, PerUserLimitNeverExceeded) {
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
