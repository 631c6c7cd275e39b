// The janitor against real PostgreSQL, Redis and both stores: what a crashed process or a
// vanished client leaves behind is repaired (and counted), what is alive is left alone, and
// only one janitor runs at a time.
#include <gtest/gtest.h>
#include <set>

#include "storage/service/janitor/janitor_task.h"
#include "storage/service/uploads/sessions/session_queries.h"
#include "storage/service/uploads/direct/upload_queries.h"
#include "storage/service/uploads/direct/direct_upload.h"
#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Initiated;
using testing::kMiB;
using testing::MpuEnv;
using testing::json_str;
using testing::pattern_bytes;
using testing::token_for;
using testing::with_mpu_env;

class JanitorTest : public ::testing::TestWithParam<std::string> {};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Task<void> add_lease(MpuEnv& env, std::string user, std::string id, int64_t expires_ms) {
  std::vector<std::string> cmd{"ZADD", lease_key_for(user), std::to_string(expires_ms), id};
  auto r = co_await env.redis->command(std::move(cmd), deadline_after(2s));
  EXPECT_TRUE(r.ok());
}

// A streaming upload as a process leaves it when it dies mid-body: reservation taken, row
// 'uploading', lease held, and (some of) its object in the store. Returns the file id.
Task<std::string> crashed_direct_upload(MpuEnv& env, std::string user, uint64_t size, std::string* key) {
  std::string id = new_uuid();
  *key = object_key_for(user, id, static_cast<int64_t>(time(nullptr)));
  auto ensure = co_await env.check->query(upload_sql::kEnsureAccount, user, std::string("free"));
  EXPECT_TRUE(ensure.ok());
  std::optional<int64_t> sz = static_cast<int64_t>(size);
  std::string path = "/", name = "crash.bin", ct = "application/octet-stream", vis = "private";
  bool name_must_be_free = false;
  auto r = co_await env.check->query(upload_sql::kReserve, user, sz, id, *key, path, name, ct, vis, sz, name_must_be_free);
  EXPECT_TRUE(r.ok() && r->rows() == 1 && *r->boolean(0, 0));
  testing::StringSource src(pattern_bytes(size, 9));
  PutOptions po;
  auto put = co_await env.store->put(*key, size, src, po);
  EXPECT_TRUE(put.ok());
  co_await add_lease(env, user, id, now_ms() + 600000);
  co_return id;
}

TEST_P(JanitorTest, DirectUploadLeftByACrashIsFailedAndReleasedAfterTheTimeout) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("crashy"), key;
    std::string id = co_await crashed_direct_upload(env, user, 1000, &key);
    // A store multipart upload of the same key, as S3Store's streamed put of a large body leaves.
    auto partial = co_await env.store->create_multipart(key, "application/octet-stream");
    EXPECT_TRUE(partial.ok());
    Janitor janitor = env.janitor(15min, 1h);
    JanitorReport young = co_await janitor.run_once();
    EXPECT_EQ(young.orphan_uploads, 0u);  // it may still be running
    EXPECT_EQ(young.store_uploads_aborted, 0u);
    EXPECT_EQ(co_await env.reserved(user), 1001);
    (void)co_await env.scalar("UPDATE sluice.files SET updated_at = now() - interval '2 hours' RETURNING 0");
    JanitorReport r = co_await janitor.run_once();
    EXPECT_EQ(r.orphan_uploads, 1u);
    EXPECT_EQ(r.leases_released, 1u);
    EXPECT_EQ(r.store_uploads_aborted, 1u);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + id + "'"), "failed");
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_FALSE(co_await env.object_exists(key));
    EXPECT_EQ(co_await env.store_uploads(), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    EXPECT_EQ((co_await janitor.run_once()).repaired(), 0u);
  });
}

// An upload that failed while its object was (still) being written: its own delete failed, or
// the store finished the PUT after Sluice gave up on it. The janitor removes the key again once
// the row is older than stale_purge_after, and drops the row.
TEST_P(JanitorTest, AFailedUploadsLeftoverObjectIsRemovedAndItsRowDroppedOnceStale) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("failed"), key;
    std::string id = co_await crashed_direct_upload(env, user, 1000, &key);
    auto failed = co_await env.check->query(upload_sql::kFail, id, int64_t{1000});  // the reserved bytes
    EXPECT_TRUE(failed.ok());
    Janitor janitor = env.janitor(15min, 1h);
    JanitorReport young = co_await janitor.run_once();
    EXPECT_EQ(young.purges_finished, 0u);  // a PUT may still land: not yet
    EXPECT_TRUE(co_await env.object_exists(key));
    (void)co_await env.scalar("UPDATE sluice.files SET updated_at = now() - interval '2 minutes' RETURNING 0");
    JanitorReport r = co_await janitor.run_once();
    EXPECT_EQ(r.purges_finished, 1u);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_FALSE(co_await env.object_exists(key));
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE id = '" + id + "'"), 0);
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ((co_await janitor.run_once()).repaired(), 0u);
  });
}

// A body of unknown length reserves the tier's maximum, which its row does not record: after a
// crash the account's reservation is reconciled once nothing of it is in flight any more.
TEST_P(JanitorTest, ReservationOfAnUnsizedUploadIsReconciledWhenNothingIsInFlight) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("unsized"), busy = env.user("busy"), key;
    auto ensure = co_await env.check->query(upload_sql::kEnsureAccount, user, std::string("free"));
    EXPECT_TRUE(ensure.ok());
    std::string id = new_uuid(), path = "/", name = "chunked.bin", ct = "application/octet-stream", vis = "private";
    key = object_key_for(user, id, static_cast<int64_t>(time(nullptr)));
    std::optional<int64_t> unknown;
    bool name_must_be_free = false;
    auto r = co_await env.check->query(upload_sql::kReserve, user, unknown, id, key, path, name, ct, vis, unknown, name_must_be_free);
    EXPECT_TRUE(r.ok() && r->rows() == 1 && *r->boolean(0, 0));
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"),
              104857600);  // the free tier's max file size
    // Another account with an upload genuinely in flight keeps its reservation.
    std::string busy_key;
    (void)co_await crashed_direct_upload(env, busy, 500, &busy_key);
    (void)co_await env.scalar("UPDATE sluice.files SET updated_at = now() - interval '2 hours' WHERE id = '" + id +
                              "' RETURNING 0");
    Janitor janitor = env.janitor(15min, 1h);
    JanitorReport rep = co_await janitor.run_once();
    EXPECT_EQ(rep.orphan_uploads, 1u);
    EXPECT_EQ(rep.accounts_reconciled, 1u);
    EXPECT_EQ(rep.errors, 0u);
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.reserved(busy), 501);
    EXPECT_EQ((co_await janitor.run_once()).repaired(), 0u);
  });
}

TEST_P(JanitorTest, StoreUploadsNoSessionWantsAreAbortedOthersKept) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("lea"));
    Initiated live = co_await env.initiate(tok, "live.bin", 100, 0);
    EXPECT_EQ(live.status, 201);
    // A store upload created by a process that died before recording it, and one of a
    // session that was aborted while its store abort failed.
    auto stray = co_await env.store->create_multipart("u/ghost/2024/01/01/" + new_uuid(), "application/octet-stream");
    EXPECT_TRUE(stray.ok());
    Initiated ended = co_await env.initiate(tok, "ended.bin", 100, 0);
    EXPECT_EQ(ended.status, 201);
    (void)co_await env.scalar("UPDATE sluice.uploads SET state = 'aborted' WHERE id = '" + ended.upload_id +
                              "' RETURNING 0");
    (void)co_await env.scalar("UPDATE sluice.files SET status = 'failed' WHERE id = '" + ended.file_id +
                              "' RETURNING 0");
    EXPECT_EQ(co_await env.store_uploads(), 3);
    Janitor janitor = env.janitor();
    JanitorReport r = co_await janitor.run_once();
    EXPECT_EQ(r.store_uploads_aborted, 2u);
    EXPECT_EQ(r.stale_sessions, 0u);
    EXPECT_EQ(co_await env.store_uploads(), 1);
    // The live session is untouched and still completes.
    auto part = co_await env.put_part(tok, live.upload_id, 1, std::string(100, 'l'));
    EXPECT_EQ(part.status, 200);
    std::vector<std::pair<int, std::string>> parts;
    parts.emplace_back(1, json_str(part.body, "etag"));
    EXPECT_EQ((co_await env.complete(tok, live.upload_id, parts)).status, 200);
  });
}

TEST_P(JanitorTest, InterruptedCompletesAreCommittedOrFailed) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("mo"), tok = token_for(user);
    std::string content = pattern_bytes(6 * kMiB, 10);
    Initiated joined = co_await env.initiate(tok, "joined.bin", content.size(), 5 * kMiB);
    Initiated lost = co_await env.initiate(tok, "lost.bin", content.size(), 5 * kMiB);
    std::vector<PartInfo> parts;
    for (int n = 1; n <= 2; ++n) {
      std::string bytes = content.substr(static_cast<size_t>(n - 1) * 5 * kMiB, 5 * kMiB);
      auto a = co_await env.put_part(tok, joined.upload_id, n, bytes);
      auto b = co_await env.put_part(tok, lost.upload_id, n, bytes);
      EXPECT_EQ(a.status, 200);
      EXPECT_EQ(b.status, 200);
      parts.push_back(PartInfo{n, bytes.size(), json_str(a.body, "etag")});
    }
    // Both processes died inside complete: one after the store joined the parts, one before.
    std::string key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + joined.file_id + "'");
    std::string store_id =
        co_await env.text("SELECT s3_upload_id FROM sluice.uploads WHERE id = '" + joined.upload_id + "'");
    auto etag = co_await env.store->complete_multipart(key, store_id, parts);
    EXPECT_TRUE(etag.ok()) << (etag.ok() ? "" : etag.error().message);
    (void)co_await env.scalar("UPDATE sluice.uploads SET state = 'completing', updated_at = now() - interval '1 hour' "
                              "RETURNING 0");
    Janitor janitor = env.janitor();
    JanitorReport r = co_await janitor.run_once();
    EXPECT_EQ(r.completions_committed, 1u);
    EXPECT_EQ(r.completions_failed, 1u);
    EXPECT_EQ(r.leases_released, 2u);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + joined.file_id + "'"), "available");
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + lost.file_id + "'"), "failed");
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + lost.upload_id + "'"), "failed");
    auto down = co_await env.req("GET", "/v1/files/" + joined.file_id + "/content", tok);
    EXPECT_EQ(down.status, 200);
    EXPECT_TRUE(down.body == content);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"),
              static_cast<int64_t>(content.size()));
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.store_uploads(), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    // The client's retried complete gets the committed file.
    std::vector<std::pair<int, std::string>> listed;
    for (auto& p : parts) listed.emplace_back(p.number, p.etag);
    auto again = co_await env.complete(tok, joined.upload_id, listed);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json_str(again.body, "id"), joined.file_id);
  });
}

TEST_P(JanitorTest, ExpiredLeasesAreSwept) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("ned");
    co_await add_lease(env, user, "dead-1", now_ms() - 5000);
    co_await add_lease(env, user, "dead-2", now_ms() - 1);
    co_await add_lease(env, user, "alive", now_ms() + 600000);
    Janitor janitor = env.janitor();
    JanitorReport r = co_await janitor.run_once();
    (void)r;  // its count is not ours alone: a janitor of a parallel test may sweep these first
    // The raw set (read without dropping expired entries): only the live lease is left.
    std::vector<std::string> card{"ZCARD", "sluice:leases:{" + user + "}"};
    auto raw = co_await env.redis->command(std::move(card), deadline_after(std::chrono::seconds(2)));
    EXPECT_TRUE(raw.ok());
    if (raw.ok()) {
      EXPECT_EQ(raw->integer, 1);
    }
    EXPECT_EQ(co_await env.leases_of(user), 1);
  });
}

// A process killed after its upload committed but before it released the lease leaves a lease
// of an 'available' file (and maybe of a part PUT): the janitor drops those at once instead of
// letting them hold one of the user's upload slots for the lease TTL. Leases without a row (an
// admission in progress) and of rows still 'uploading' stay.
TEST_P(JanitorTest, LeasesOfFinishedUploadsAreDropped) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("lessee"), key;
    auto up = co_await env.req("PUT", "/v1/files/content?path=/&name=done.bin", token_for(user), "committed");
    EXPECT_EQ(up.status, 201) << up.body;
    std::string done = json_str(up.body, "id");
    co_await add_lease(env, user, done, now_ms() + 600000);
    co_await add_lease(env, user, done + "#2", now_ms() + 600000);
    std::string admitting = new_uuid();
    co_await add_lease(env, user, admitting, now_ms() + 600000);
    std::string running = co_await crashed_direct_upload(env, user, 100, &key);  // 'uploading', leased
    EXPECT_EQ(co_await env.leases_of(user), 4);
    Janitor janitor = env.janitor();
    JanitorReport r = co_await janitor.run_once();
    EXPECT_GE(r.leases_swept, 2u);
    EXPECT_EQ(r.errors, 0u);
    EXPECT_EQ(co_await env.leases_of(user), 2);
    std::vector<std::string> range{"ZRANGE", lease_key_for(user), "0", "-1"};
    auto left = co_await env.redis->command(std::move(range), deadline_after(2s));
    EXPECT_TRUE(left.ok());
    if (left.ok()) {
      std::set<std::string> ids;
      for (const auto& m : left->elements) ids.insert(m.str);
      EXPECT_EQ(ids, (std::set<std::string>{admitting, running}));
    }
  });
}

TEST_P(JanitorTest, OnlyOneJanitorRunsAtATime) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    PgOptions po;
    po.url = env.config.pg_url;
    po.connections = 1;
    PgPool other(env.r, po);
    EXPECT_TRUE((co_await other.start()).ok());
    auto holder = co_await other.pin();
    EXPECT_TRUE(holder.ok());
    if (!holder.ok()) co_return;
    auto locked = co_await holder->execute("SELECT pg_try_advisory_lock($1::bigint)", kJanitorLockKey);
    EXPECT_TRUE(locked.ok() && *locked->boolean(0, 0));
    JanitorTask task(env.r, env.config.pg_url, *env.store, env.redis.get(), std::chrono::hours(1), JanitorOptions{});
    co_await task.start();
    auto refused = co_await task.run_if_leader();
    EXPECT_FALSE(refused.has_value());
    EXPECT_EQ(task.runs(), 0u);
    auto unlocked = co_await holder->execute("SELECT pg_advisory_unlock($1::bigint)", kJanitorLockKey);
    EXPECT_TRUE(unlocked.ok());
    auto ran = co_await task.run_if_leader();
    EXPECT_TRUE(ran.has_value());
    EXPECT_EQ(task.runs(), 1u);
    // The lock is free again after a run: the other holder can take it.
    auto again = co_await holder->execute("SELECT pg_try_advisory_lock($1::bigint)", kJanitorLockKey);
    EXPECT_TRUE(again.ok() && *again->boolean(0, 0));
    holder->release();
    // Stopping does not wait for the (hour-long) interval.
    co_await task.stop();
    co_await other.close();
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, JanitorTest, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace sluice
