// End to end: client-driven multipart uploads through the real service, against both stores (the
// local directory and moto's S3): proxied parts and presigned parts sent with curl, in parallel
// and out of order, resume, refused completes that leave nothing behind, abort, heartbeat and
// the janitor, ownership, and admission refusals.
#include <gtest/gtest.h>

#include "storage/service/uploads/sessions/session_queries.h"
#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::error_code;
using testing::Initiated;
using testing::json_int;
using testing::json_str;
using testing::kMiB;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::RawResponse;
using testing::token_for;
using testing::with_mpu_env;

class MultipartApi : public ::testing::TestWithParam<std::string> {};

// 5 MiB + 5 MiB + 1000 bytes: three parts at the smallest part size S3 allows.
constexpr uint64_t kPart = 5 * kMiB;
constexpr uint64_t kSize = 2 * kPart + 1000;

std::string slice(const std::string& all, int n) {
  size_t off = static_cast<size_t>(n - 1) * kPart;
  return all.substr(off, std::min<size_t>(kPart, all.size() - off));
}

Task<void> put_part_into(MpuEnv& env, std::string tok, std::string id, int n, std::string bytes, RawResponse* out) {
  *out = co_await env.put_part(tok, id, n, std::move(bytes));
}

// Uploads `numbers` concurrently through Sluice; returns each part's etag (index n-1).
// Parallel parts count as that many uploads (issue 11): tests about parallel parts, not the free
// tier's two (PartPutsAreAdmittedPerUserAndOnePerPart is), move the session's owner to 'pro'.
// (Read back: the check pool's pipelined UPDATE is committed once its next query runs.)
Task<void> owner_to_pro(MpuEnv& env, std::string id) {
  std::string owner = "(SELECT owner FROM sluice.uploads WHERE id = '" + id + "')";
  (void)co_await env.scalar("UPDATE sluice.accounts SET tier = 'pro' WHERE user_id = " + owner + " RETURNING 0");
  EXPECT_EQ(co_await env.scalar("SELECT t.max_concurrent_uploads FROM sluice.accounts a JOIN sluice.tiers t "
                                "ON t.name = a.tier WHERE a.user_id = " + owner),
            10);
}

Task<std::vector<std::string>> put_parts_parallel(MpuEnv& env, std::string tok, std::string id, std::string content,
                                                  std::vector<int> numbers) {
  co_await owner_to_pro(env, id);
  std::vector<RawResponse> resp(numbers.size());
  TaskGroup group;
  for (size_t i = 0; i < numbers.size(); ++i)
    spawn(put_part_into(env, tok, id, numbers[i], slice(content, numbers[i]), &resp[i]), &group);
  co_await group.wait();
  std::vector<std::string> etags(3);
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(resp[i].status, 200) << "part " << numbers[i] << ": " << resp[i].body;
    EXPECT_EQ(json_int(resp[i].body, "partNumber"), numbers[i]);
    EXPECT_EQ(json_int(resp[i].body, "size"), static_cast<int64_t>(slice(content, numbers[i]).size()));
    etags[static_cast<size_t>(numbers[i] - 1)] = json_str(resp[i].body, "etag");
  }
  co_return etags;
}

std::vector<std::pair<int, std::string>> listing(const std::vector<std::string>& etags) {
  std::vector<std::pair<int, std::string>> out;
  for (size_t i = 0; i < etags.size(); ++i) out.emplace_back(static_cast<int>(i + 1), etags[i]);
  return out;
}

// Everything an ended or completed upload of `user` may have held is back: reservation, lease,
// store upload.
Task<void> expect_nothing_held(MpuEnv& env, std::string user) {
  EXPECT_EQ(co_await env.reserved(user), 0) << "reservation left for " << user;
  EXPECT_EQ(co_await env.leases_of(user), 0) << "lease left for " << user;
  EXPECT_EQ(co_await env.store_uploads(), 0) << "store multipart upload left";
}

Task<void> expect_download(MpuEnv& env, std::string tok, std::string file_id, const std::string& content) {
  auto down = co_await env.req("GET", "/v1/files/" + file_id + "/content", tok);
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.body.size(), content.size());
  EXPECT_TRUE(down.body == content) << "downloaded bytes differ";
}

TEST_P(MultipartApi, ProxiedPartsInParallelAndOutOfOrder) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    std::string content = pattern_bytes(kSize, 1);
    Initiated up = co_await env.initiate(tok, "movie.bin", kSize, kPart);
    EXPECT_EQ(up.status, 201) << up.body;
    EXPECT_EQ(up.part_size, static_cast<int64_t>(kPart));
    EXPECT_EQ(up.total_parts, 3);
    EXPECT_FALSE(json_str(up.body, "expiresAt").empty());
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + alice + "'"),
              static_cast<int64_t>(kSize));
    EXPECT_EQ(co_await env.leases_of(alice), 1);
    std::vector<int> order{3, 1, 2};
    auto etags = co_await put_parts_parallel(env, tok, up.upload_id, content, order);
    auto done = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_str(done.body, "id"), up.file_id);
    EXPECT_EQ(json_str(done.body, "status"), "available");
    EXPECT_EQ(json_int(done.body, "size"), static_cast<int64_t>(kSize));
    co_await expect_download(env, tok, up.file_id, content);
    // Committed like a streaming upload: usage, file count, event; nothing reserved or leased.
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + alice + "'"),
              static_cast<int64_t>(kSize));
    EXPECT_EQ(co_await env.scalar("SELECT file_count FROM sluice.accounts WHERE user_id = '" + alice + "'"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 1);
    co_await expect_nothing_held(env, alice);
    // Idempotent: the same file again, no second commit.
    auto again = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json_str(again.body, "id"), up.file_id);
    auto empty_again = co_await env.req("POST", "/v1/uploads/" + up.upload_id + "/complete", tok, "{}");
    EXPECT_EQ(empty_again.status, 200);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + alice + "'"),
              static_cast<int64_t>(kSize));
    auto state = co_await env.req("GET", "/v1/uploads/" + up.upload_id, tok);
    EXPECT_EQ(state.status, 200);
    EXPECT_EQ(json_str(state.body, "state"), "completed");
    EXPECT_NE(state.body.find("\"partNumber\":3"), std::string::npos) << state.body;
  });
}

// Presigned part URLs, each sent by its own curl process at the same time (to moto, or to
// Sluice's signed local route).
TEST_P(MultipartApi, PresignedPartsSentWithCurl) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string bob = env.user("bob"), tok = token_for(bob);
    std::string content = pattern_bytes(kSize, 2);
    Initiated up = co_await env.initiate(tok, "direct.bin", kSize, kPart);
    EXPECT_EQ(up.status, 201) << up.body;
    co_await owner_to_pro(env, up.upload_id);  // three parts at once: three uploads
    std::vector<testing::CurlResult> results(3);
    TaskGroup group;
    for (int n = 3; n >= 1; --n) {
      auto url = co_await env.req("POST", "/v1/uploads/" + up.upload_id + "/parts/" + std::to_string(n) + "/url", tok,
                                  "{\"expiresIn\":600}");
      EXPECT_EQ(url.status, 200) << url.body;
      EXPECT_EQ(json_str(url.body, "method"), "PUT");
      EXPECT_FALSE(json_str(url.body, "expiresAt").empty());
      EXPECT_EQ(json_int(url.body, "size"), static_cast<int64_t>(slice(content, n).size()));
      std::string file = env.dir + "/part" + std::to_string(n);
      testing::write_file(file, slice(content, n));
      auto run = [](MpuEnv* e, std::string u, std::string f, int num, testing::CurlResult* out) -> Task<void> {
        *out =
            co_await testing::run_curl(e->r, "PUT", u, f, e->curl_route_args(), e->dir, "curl" + std::to_string(num));
      };
      spawn(run(&env, json_str(url.body, "url"), file, n, &results[static_cast<size_t>(n - 1)]), &group);
    }
    co_await group.wait();
    std::vector<std::string> etags;
    for (int n = 1; n <= 3; ++n) {
      const auto& c = results[static_cast<size_t>(n - 1)];
      EXPECT_EQ(c.exit_code, 0);
      EXPECT_EQ(c.status, 200) << "part " << n << ": " << c.body;
      etags.push_back(c.header("etag"));
      EXPECT_FALSE(etags.back().empty());
    }
    // Sluice saw none of these bytes; the session lists them from the store.
    auto state = co_await env.req("GET", "/v1/uploads/" + up.upload_id, tok);
    EXPECT_EQ(json_int(state.body, "bytesReceived"), static_cast<int64_t>(kSize)) << state.body;
    auto done = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(done.status, 200) << done.body;
    co_await expect_download(env, tok, up.file_id, content);
    co_await expect_nothing_held(env, bob);
    // The URL bounds come from the configuration.
    Initiated other = co_await env.initiate(tok, "other.bin", 100, 0);
    EXPECT_EQ(other.status, 201) << other.body;
    auto too_long =
        co_await env.req("POST", "/v1/uploads/" + other.upload_id + "/parts/1/url", tok, "{\"expiresIn\":999999999}");
    EXPECT_EQ(too_long.status, 400);
    EXPECT_EQ(error_code(too_long.body), "invalid_expiry");
    auto no_part = co_await env.req("POST", "/v1/uploads/" + other.upload_id + "/parts/2/url", tok, "");
    EXPECT_EQ(no_part.status, 400);
    EXPECT_EQ(error_code(no_part.body), "invalid_part_number");
  });
}

TEST_P(MultipartApi, ResumeListsPartsAndCompletesAfterTheMissingOne) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string carol = env.user("carol"), tok = token_for(carol);
    std::string content = pattern_bytes(kSize, 3);
    Initiated up = co_await env.initiate(tok, "resume.bin", kSize, kPart);
    EXPECT_EQ(up.status, 201);
    std::vector<int> odd{1, 3}, two{2}, one{1};
    auto first = co_await put_parts_parallel(env, tok, up.upload_id, content, odd);
    // The client crashes here; after a restart it asks what the server has.
    auto state = co_await env.req("GET", "/v1/uploads/" + up.upload_id, tok);
    EXPECT_EQ(state.status, 200);
    EXPECT_EQ(json_str(state.body, "state"), "active");
    EXPECT_NE(state.body.find("\"missingParts\":[2]"), std::string::npos) << state.body;
    EXPECT_NE(state.body.find("\"etag\":\"" + first[0] + "\""), std::string::npos) << state.body;
    EXPECT_EQ(json_int(state.body, "bytesReceived"), static_cast<int64_t>(kPart + 1000));
    auto second = co_await put_parts_parallel(env, tok, up.upload_id, content, two);
    // Re-sending a part replaces it (same bytes, same etag).
    auto dup = co_await put_parts_parallel(env, tok, up.upload_id, content, one);
    EXPECT_EQ(dup[0], first[0]);
    std::vector<std::string> etags = first;
    etags[1] = second[1];
    auto done = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(done.status, 200) << done.body;
    co_await expect_download(env, tok, up.file_id, content);
    co_await expect_nothing_held(env, carol);
  });
}

TEST_P(MultipartApi, WrongEtagOrMissingPartIsRefusedWithoutSideEffects) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string dave = env.user("dave"), tok = token_for(dave);
    std::string content = pattern_bytes(kSize, 4);
    Initiated up = co_await env.initiate(tok, "x.bin", kSize, kPart);
    std::string key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + up.file_id + "'");
    std::vector<int> all{1, 2, 3}, first_two{1, 2};
    auto etags = co_await put_parts_parallel(env, tok, up.upload_id, content, all);
    std::vector<std::string> wrong = etags;
    wrong[1] = "0123456789abcdef0123456789abcdef";
    auto bad = co_await env.complete(tok, up.upload_id, listing(wrong));
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(error_code(bad.body), "etag_mismatch");
    EXPECT_NE(bad.body.find("part 2"), std::string::npos) << bad.body;
    // Nothing committed: no object, no usage; the session is still open for a correct complete.
    EXPECT_FALSE(co_await env.object_exists(key));
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + dave + "'"), 0);
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + up.upload_id + "'"), "active");
    auto good = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(good.status, 200) << good.body;

    Initiated up2 = co_await env.initiate(tok, "y.bin", kSize, kPart);
    EXPECT_EQ(up2.status, 201);
    std::string key2 = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + up2.file_id + "'");
    auto two = co_await put_parts_parallel(env, tok, up2.upload_id, content, first_two);
    std::vector<std::pair<int, std::string>> partial;
    partial.emplace_back(1, two[0]);
    partial.emplace_back(2, two[1]);
    auto unlisted = co_await env.complete(tok, up2.upload_id, partial);
    EXPECT_EQ(unlisted.status, 400);
    EXPECT_EQ(error_code(unlisted.body), "missing_part");
    partial.emplace_back(3, "0123456789abcdef0123456789abcdef");
    auto missing = co_await env.complete(tok, up2.upload_id, partial);
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(error_code(missing.body), "missing_part");
    EXPECT_NE(missing.body.find("3"), std::string::npos);
    EXPECT_FALSE(co_await env.object_exists(key2));
    // The client gives up: nothing remains of the second upload.
    auto gone = co_await env.req("DELETE", "/v1/uploads/" + up2.upload_id, tok);
    EXPECT_EQ(gone.status, 204);
    co_await expect_nothing_held(env, dave);
    EXPECT_FALSE(co_await env.object_exists(key2));
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + up2.file_id + "'"), "failed");
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + dave + "'"),
              static_cast<int64_t>(kSize));
  });
}

// A client that sends more bytes straight to the store than it reserved is refused and its
// upload aborted.
TEST_P(MultipartApi, MoreBytesThanDeclaredAbortsTheUpload) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string eve = env.user("eve"), tok = token_for(eve);
    std::string content = pattern_bytes(kSize, 5);
    Initiated up = co_await env.initiate(tok, "greedy.bin", kSize, kPart);
    std::vector<int> first_two{1, 2};
    auto etags = co_await put_parts_parallel(env, tok, up.upload_id, content, first_two);
    std::string key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + up.file_id + "'");
    std::string store_id =
        co_await env.text("SELECT s3_upload_id FROM sluice.uploads WHERE id = '" + up.upload_id + "'");
    std::string oversized = pattern_bytes(1000 + 4096, 6);  // the last part should be 1000 bytes
    std::string file = env.dir + "/oversized";
    testing::write_file(file, oversized);
    auto url = co_await env.req("POST", "/v1/uploads/" + up.upload_id + "/parts/3/url", tok, "");
    EXPECT_EQ(url.status, 200);
    auto sent = co_await testing::run_curl(env.r, "PUT", json_str(url.body, "url"), file, env.curl_route_args(),
                                           env.dir, "greedy");
    if (env.store_kind == "local") {
      // Sluice's own route refuses a length other than the signed one before taking a byte...
      EXPECT_EQ(sent.status, 403) << sent.body;
      EXPECT_EQ(error_code(sent.body), "content_length_mismatch");
      // ...so put the bytes into the store behind Sluice's back, as moto accepts them (it does not
      // check the signed content-length that AWS S3 enforces).
      testing::StringSource src(oversized);
      PutOptions po;
      auto put = co_await env.store->upload_part(key, store_id, 3, oversized.size(), src, po);
      EXPECT_TRUE(put.ok());
      if (put.ok()) etags[2] = put->etag;
    } else {
      EXPECT_EQ(sent.status, 200) << sent.body;
      etags[2] = sent.header("etag");
    }
    auto refused = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(error_code(refused.body), "declared_size_exceeded");
    EXPECT_NE(refused.body.find("aborted"), std::string::npos) << refused.body;
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + up.upload_id + "'"), "aborted");
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + up.file_id + "'"), "failed");
    EXPECT_FALSE(co_await env.object_exists(key));
    co_await expect_nothing_held(env, eve);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes + file_count FROM sluice.accounts WHERE user_id = '" + eve + "'"),
              0);
    auto after = co_await env.complete(tok, up.upload_id, listing(etags));
    EXPECT_EQ(after.status, 409);
  });
}

TEST_P(MultipartApi, AbortReleasesEverything) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string frank = env.user("frank"), tok = token_for(frank);
    std::string content = pattern_bytes(kSize, 7);
    Initiated up = co_await env.initiate(tok, "abort.bin", kSize, kPart);
    std::vector<int> two{2};
    (void)co_await put_parts_parallel(env, tok, up.upload_id, content, two);
    EXPECT_EQ(co_await env.store_uploads(), 1);
    auto gone = co_await env.req("DELETE", "/v1/uploads/" + up.upload_id, tok);
    EXPECT_EQ(gone.status, 204);
    co_await expect_nothing_held(env, frank);
    auto state = co_await env.req("GET", "/v1/uploads/" + up.upload_id, tok);
    EXPECT_EQ(json_str(state.body, "state"), "aborted");
    EXPECT_EQ((co_await env.put_part(tok, up.upload_id, 1, slice(content, 1))).status, 409);
    std::vector<std::pair<int, std::string>> bogus;
    bogus.emplace_back(1, "x");
    EXPECT_EQ((co_await env.complete(tok, up.upload_id, bogus)).status, 409);
    EXPECT_EQ((co_await env.req("POST", "/v1/uploads/" + up.upload_id + "/heartbeat", tok)).status, 409);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/uploads/" + up.upload_id, tok)).status, 204);  // idempotent
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status <> 'failed'"), 0);
  });
}

TEST_P(MultipartApi, HeartbeatKeepsASessionAliveWhileASilentOneIsCleaned) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string gina = env.user("gina"), tok = token_for(gina);
    std::string content = pattern_bytes(kSize, 8);
    Initiated live = co_await env.initiate(tok, "live.bin", kSize, kPart);
    Initiated silent = co_await env.initiate(tok, "silent.bin", kSize, kPart);
    EXPECT_EQ(live.status, 201);
    EXPECT_EQ(silent.status, 201);
    std::vector<int> one{1}, all{1, 2, 3};
    (void)co_await put_parts_parallel(env, tok, silent.upload_id, content, one);
    // Twenty minutes pass (the clock is the database's): both sessions' last sign of life moves back.
    (void)co_await env.scalar(
        "UPDATE sluice.uploads SET heartbeat_at = heartbeat_at - interval '20 minutes' RETURNING 0");
    auto beat = co_await env.req("POST", "/v1/uploads/" + live.upload_id + "/heartbeat", tok);
    EXPECT_EQ(beat.status, 204) << beat.body;
    Janitor janitor = env.janitor(15min);
    JanitorReport report = co_await janitor.run_once();
    EXPECT_EQ(report.stale_sessions, 1u);
    EXPECT_EQ(report.leases_released, 1u);
    EXPECT_EQ(report.errors, 0u);
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + silent.upload_id + "'"), "aborted");
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + live.upload_id + "'"), "active");
    // Only the live session's reservation, lease and store upload remain; it still completes.
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + gina + "'"),
              static_cast<int64_t>(kSize));
    EXPECT_EQ(co_await env.leases_of(gina), 1);
    EXPECT_EQ(co_await env.store_uploads(), 1);
    auto etags = co_await put_parts_parallel(env, tok, live.upload_id, content, all);
    auto done = co_await env.complete(tok, live.upload_id, listing(etags));
    EXPECT_EQ(done.status, 200) << done.body;
    co_await expect_nothing_held(env, gina);
    // A second run finds nothing more to do.
    JanitorReport again = co_await janitor.run_once();
    EXPECT_EQ(again.repaired(), 0u);
  });
}

TEST_P(MultipartApi, HeartbeatsAreRateLimitedPerUser) {
  with_mpu_env(
      GetParam(),
      [](MpuEnv& env) -> Task<void> {
        std::string hal = env.user("hal"), tok = token_for(hal);
        Initiated a = co_await env.initiate(tok, "a.bin", 100, 0);
        Initiated b = co_await env.initiate(tok, "b.bin", 100, 0);
        EXPECT_EQ(a.total_parts, 1);
        EXPECT_EQ(a.part_size, 100);
        // Three per minute for the user, whichever of their uploads the beats are for.
        EXPECT_EQ((co_await env.req("POST", "/v1/uploads/" + a.upload_id + "/heartbeat", tok)).status, 204);
        EXPECT_EQ((co_await env.req("POST", "/v1/uploads/" + b.upload_id + "/heartbeat", tok)).status, 204);
        EXPECT_EQ((co_await env.req("POST", "/v1/uploads/" + a.upload_id + "/heartbeat", tok)).status, 204);
        auto limited = co_await env.req("POST", "/v1/uploads/" + b.upload_id + "/heartbeat", tok);
        EXPECT_EQ(limited.status, 429);
        EXPECT_EQ(error_code(limited.body), "rate_limited");
        EXPECT_GE(std::atoi(limited.header("retry-after").c_str()), 1);
        // A new window (the minute passes in the database) accepts beats again.
        (void)co_await env.scalar(
            "UPDATE sluice.accounts SET heartbeat_window = heartbeat_window - interval '61 seconds' "
            "RETURNING 0");
        EXPECT_EQ((co_await env.req("POST", "/v1/uploads/" + b.upload_id + "/heartbeat", tok)).status, 204);
      },
      [](ServiceConfig& c) { c.heartbeat_rate = 3; });
}

TEST_P(MultipartApi, OnlyTheOwnerOrAnAdminSeesAnUpload) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string owner = token_for(env.user("ivy")), other = token_for(env.user("jack"));
    std::string admin = token_for(env.user("root"), auth::Role::admin);
    Initiated up = co_await env.initiate(owner, "mine.bin", 100, 0);
    EXPECT_EQ(up.status, 201);
    std::string base = "/v1/uploads/" + up.upload_id;
    EXPECT_EQ((co_await env.req("GET", base, other)).status, 404);
    EXPECT_EQ((co_await env.put_part(other, up.upload_id, 1, std::string(100, 'x'))).status, 404);
    EXPECT_EQ((co_await env.req("POST", base + "/parts/1/url", other)).status, 404);
    EXPECT_EQ((co_await env.req("POST", base + "/heartbeat", other)).status, 404);
    std::vector<std::pair<int, std::string>> bogus;
    bogus.emplace_back(1, "x");
    EXPECT_EQ((co_await env.complete(other, up.upload_id, bogus)).status, 404);
    EXPECT_EQ((co_await env.req("DELETE", base, other)).status, 404);
    EXPECT_EQ((co_await env.req("GET", "/v1/uploads/not-a-uuid", owner)).status, 404);
    EXPECT_EQ((co_await env.req("GET", base, "")).status, 401);
    EXPECT_EQ((co_await env.req("GET", base, admin)).status, 200);
    auto part = co_await env.put_part(admin, up.upload_id, 1, std::string(100, 'x'));
    EXPECT_EQ(part.status, 200);
    std::vector<std::pair<int, std::string>> one;
    one.emplace_back(1, json_str(part.body, "etag"));
    auto done = co_await env.complete(admin, up.upload_id, one);
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_str(done.body, "owner"), env.user("ivy"));
    co_await expect_nothing_held(env, env.user("ivy"));
  });
}

TEST_P(MultipartApi, AdmissionIsTheStreamingUploadsAdmission) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string kim = env.user("kim"), tok = token_for(kim);
    auto json = [](std::string size, std::string extra) {
      return "{\"name\":\"f.bin\",\"size\":" + size + extra + "}";
    };
    EXPECT_EQ((co_await env.req("POST", "/v1/uploads", tok, "not json")).status, 400);
    EXPECT_EQ((co_await env.req("POST", "/v1/uploads", tok, "{\"size\":10}")).status, 400);
    EXPECT_EQ(error_code((co_await env.req("POST", "/v1/uploads", tok, json("0", ""))).body), "invalid_size");
    auto small_parts = co_await env.req("POST", "/v1/uploads", tok, json("20971520", ",\"partSize\":1048576"));
    EXPECT_EQ(small_parts.status, 400);
    EXPECT_EQ(error_code(small_parts.body), "invalid_part_size");
    EXPECT_EQ(error_code((co_await env.req("POST", "/v1/uploads", tok, "{\"name\":\"../x\",\"size\":10}")).body),
              "invalid_name");
    // Tier limits: free allows 100 MiB per file.
    auto big = co_await env.req("POST", "/v1/uploads", tok, json("209715200", ""));
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(error_code(big.body), "file_too_large");
    // Sluice's own part size within S3's rules when the client asks none.
    Initiated chosen = co_await env.initiate(tok, "auto.bin", 50 * kMiB, 0);
    EXPECT_EQ(chosen.status, 201);
    EXPECT_EQ(chosen.part_size, static_cast<int64_t>(8 * kMiB));
    EXPECT_EQ(chosen.total_parts, 7);
    // Proxied parts must have exactly their layout's size, refused before the body is read.
    auto wrong = co_await env.put_part(tok, chosen.upload_id, 7, std::string(10, 'x'));
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(error_code(wrong.body), "part_size_mismatch");
    EXPECT_EQ((co_await env.put_part(tok, chosen.upload_id, 8, "x")).status, 400);
    // The per-user limit (free: 2 at once) counts sessions like streaming uploads.
    Initiated second = co_await env.initiate(tok, "two.bin", 10, 0);
    EXPECT_EQ(second.status, 201);
    Initiated third = co_await env.initiate(tok, "three.bin", 10, 0);
    EXPECT_EQ(third.status, 429);
    EXPECT_EQ(error_code(third.body), "too_many_uploads");
    auto streaming = co_await env.req("PUT", "/v1/files/content?name=s.bin", tok, "hello");
    EXPECT_EQ(streaming.status, 429);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/uploads/" + second.upload_id, tok)).status, 204);
    Initiated fourth = co_await env.initiate(tok, "four.bin", 10, 0);
    EXPECT_EQ(fourth.status, 201);
    // Quota: 507 with the usage.
    (void)co_await env.scalar("UPDATE sluice.accounts SET quota_bytes_override = " + std::to_string(50 * kMiB + 20) +
                              " RETURNING 0");
    (void)co_await env.req("DELETE", "/v1/uploads/" + fourth.upload_id, tok);
    auto full = co_await env.req("POST", "/v1/uploads", tok, json("100", ""));
    EXPECT_EQ(full.status, 507);
    EXPECT_EQ(error_code(full.body), "quota_exceeded");
    // Refusals hold nothing: only the one open session's reservation remains.
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + kim + "'"),
              static_cast<int64_t>(50 * kMiB));
    EXPECT_EQ(co_await env.scalar("SELECT reserved_files FROM sluice.accounts WHERE user_id = '" + kim + "'"), 1);
    EXPECT_EQ(co_await env.store_uploads(), 1);
  });
}

// Starts a part PUT and sends only the first half of its body; the rest follows with finish().
struct OpenPut {
  std::unique_ptr<testing::RawHttpClient> client;
  std::string rest;
};

Task<OpenPut> start_part(MpuEnv& env, std::string tok, std::string id, int n, std::string bytes) {
  OpenPut out;
  auto c = co_await testing::RawHttpClient::connect(env.r, env.port());
  EXPECT_TRUE(c.ok());
  if (!c.ok()) co_return out;
  out.client = std::move(*c);
  std::string head = "PUT /v1/uploads/" + id + "/parts/" + std::to_string(n) + " HTTP/1.1\r\nHost: t\r\n" +
                     "Authorization: Bearer " + tok + "\r\nContent-Length: " + std::to_string(bytes.size()) + "\r\n\r\n";
  size_t half = bytes.size() / 2;
  out.rest = bytes.substr(half);
  (void)co_await out.client->send(head + bytes.substr(0, half));
  co_return out;
}

Task<RawResponse> finish(OpenPut put) {
  RawResponse bad;
  bad.status = -1;
  if (!put.client) co_return bad;
  (void)co_await put.client->send(std::move(put.rest));
  auto r = co_await put.client->read_response(30s);
  co_await put.client->close();
  co_return r.ok() ? std::move(*r) : bad;
}

// Waits (bounded) until `user` holds `n` leases in Redis.
Task<bool> wait_leases(MpuEnv& env, std::string user, int64_t n) {
  for (int i = 0; i < 500; ++i) {
    if (co_await env.leases_of(user) == n) co_return true;
    co_await SleepUntil(env.r, deadline_after(5ms));
  }
  co_return false;
}

// Issue 11 item 3: a part PUT holds a per-user lease ("{file}#{n}"): a second PUT of the same
// part while one runs is 409 part_in_progress, and part PUTs count against the tier's concurrent
// uploads (free: 2; the session's own lease covers its first part in flight) with 429 beyond.
TEST_P(MultipartApi, PartPutsAreAdmittedPerUserAndOnePerPart) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("parts"), tok = token_for(alice);
    std::string content = pattern_bytes(kSize, 7);
    Initiated up = co_await env.initiate(tok, "parts.bin", kSize, kPart);
    EXPECT_EQ(up.status, 201) << up.body;
    EXPECT_EQ(co_await env.leases_of(alice), 1);
    OpenPut one = co_await start_part(env, tok, up.upload_id, 1, slice(content, 1));
    EXPECT_TRUE(co_await wait_leases(env, alice, 2)) << "part 1's lease never appeared";
    auto twice = co_await env.put_part(tok, up.upload_id, 1, slice(content, 1));
    EXPECT_EQ(twice.status, 409) << twice.body;
    EXPECT_EQ(error_code(twice.body), "part_in_progress") << twice.body;
    OpenPut two = co_await start_part(env, tok, up.upload_id, 2, slice(content, 2));
    EXPECT_TRUE(co_await wait_leases(env, alice, 3)) << "part 2's lease never appeared";
    auto third = co_await env.put_part(tok, up.upload_id, 3, slice(content, 3));
    EXPECT_EQ(third.status, 429) << third.body;
    EXPECT_EQ(error_code(third.body), "too_many_uploads") << third.body;
    auto direct = co_await env.req("PUT", "/v1/files/content?name=x.bin", tok, "abc");
    EXPECT_EQ(direct.status, 429) << direct.body;
    auto r1 = co_await finish(std::move(one));
    auto r2 = co_await finish(std::move(two));
    EXPECT_EQ(r1.status, 200) << r1.body;
    EXPECT_EQ(r2.status, 200) << r2.body;
    EXPECT_TRUE(co_await wait_leases(env, alice, 1)) << "part leases were not released";
    auto r3 = co_await env.put_part(tok, up.upload_id, 3, slice(content, 3));
    EXPECT_EQ(r3.status, 200) << r3.body;
    std::vector<std::pair<int, std::string>> parts;
    parts.emplace_back(1, json_str(r1.body, "etag"));
    parts.emplace_back(2, json_str(r2.body, "etag"));
    parts.emplace_back(3, json_str(r3.body, "etag"));
    auto done = co_await env.complete(tok, up.upload_id, parts);
    EXPECT_EQ(done.status, 200) << done.body;
    co_await expect_download(env, tok, up.file_id, content);
    co_await expect_nothing_held(env, alice);
  });
}

// Issue 11 item 4: a presigned part URL binds the part's exact size (S3: content-length is a
// signed header; local: the signed URL carries the length) and says so in its JSON.
TEST_P(MultipartApi, PresignedPartUrlBindsContentLength) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string bob = env.user("bound"), tok = token_for(bob);
    std::string content = pattern_bytes(1000, 8);
    Initiated up = co_await env.initiate(tok, "bound.bin", content.size(), 0);
    EXPECT_EQ(up.status, 201) << up.body;
    auto url = co_await env.req("POST", "/v1/uploads/" + up.upload_id + "/parts/1/url", tok, "{\"expiresIn\":600}");
    EXPECT_EQ(url.status, 200) << url.body;
    EXPECT_EQ(json_int(url.body, "contentLength"), 1000) << url.body;
    EXPECT_NE(url.body.find("\"headers\":{\"Content-Length\":\"1000\"}"), std::string::npos) << url.body;
    std::string u = json_str(url.body, "url");
    for (size_t at = u.find("\\u0026"); at != std::string::npos; at = u.find("\\u0026")) u.replace(at, 6, "&");
    if (env.store_kind == "s3") {
      EXPECT_NE(u.find("X-Amz-SignedHeaders=content-length%3Bhost"), std::string::npos) << u;
    } else {
      EXPECT_NE(u.find("length=1000"), std::string::npos) << u;
    }
    // More bytes than signed (one URL must not store up to 5 GiB): refused, nothing stored.
    std::string longer = env.dir + "/longer", exact = env.dir + "/exact";
    testing::write_file(longer, content + "xxxxxxxx");
    testing::write_file(exact, content);
    // moto does not check presigned signatures (it stores the longer body with 200), so against
    // moto only the signed header is checked here (and in sigv4_test: the signature changes with
    // the length); AWS S3 refuses a Content-Length other than the signed one with 403.
    if (env.store_kind == "local") {
      auto bad = co_await testing::run_curl(env.r, "PUT", u, longer, env.curl_route_args(), env.dir, "curl-long");
      EXPECT_EQ(bad.status, 403) << bad.body;
      EXPECT_EQ(error_code(bad.body), "content_length_mismatch") << bad.body;
    }
    auto good = co_await testing::run_curl(env.r, "PUT", u, exact, env.curl_route_args(), env.dir, "curl-exact");
    EXPECT_EQ(good.status, 200) << good.body;
    std::vector<std::pair<int, std::string>> parts;
    parts.emplace_back(1, good.header("etag"));
    auto done = co_await env.complete(tok, up.upload_id, parts);
    EXPECT_EQ(done.status, 200) << done.body;
    co_await expect_download(env, tok, up.file_id, content);
    co_await expect_nothing_held(env, bob);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, MultipartApi, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace sluice
