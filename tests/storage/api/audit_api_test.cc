// End to end (local store): the audit log. A row for every route family — uploads (PUT, form),
// multipart sessions, tus, file changes and trash, shares and public share access, public file
// content, signed URLs, API keys, admin changes — with who (user, key id, client address), what,
// outcome and request id, written before the client has its answer; refusals recorded too.
// GET /v1/audit (the caller's trail) and GET /v1/admin/audit (filters, cursor pages); rows
// refuse UPDATE, DELETE and TRUNCATE; the janitor drops partitions past the retention.
#include <gtest/gtest.h>

#include <ctime>
#include <set>

#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::json_str;
using testing::MpuEnv;
using testing::RawResponse;
using testing::token_for;
using testing::with_mpu_env;

const std::string kUrlSecret = "audit-test-url-secret-0123456789abcdef";
constexpr const char* kJson = "Content-Type: application/json\r\n";

template <class F>
void with_env(F test) {
  with_mpu_env("local", std::move(test), [](ServiceConfig& c) { c.url_secret = kUrlSecret; });
}

// How many audit rows match `where` (SQL over sluice.audit_log).
Task<int64_t> rows(MpuEnv& env, std::string where) {
  co_return co_await env.scalar("SELECT count(*) FROM sluice.audit_log WHERE " + where);
}

std::string q(const std::string& s) { return "'" + s + "'"; }

Task<std::string> put_file(MpuEnv& env, std::string tok, std::string name, std::string extra = "") {
  auto up = co_await env.req("PUT", "/v1/files/content?name=" + name, tok, "some bytes", std::move(extra));
  EXPECT_EQ(up.status, 201) << up.body;
  co_return json_str(up.body, "id");
}

std::string iso(time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// ---------------------------------------------------------------------------------- uploads

TEST(AuditApi, UploadsSessionsAndTusAreRecorded) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = env.user("ann");
    std::string tok = token_for(ann);
    // PUT, with the client's request id.
    auto up = co_await env.req("PUT", "/v1/files/content?name=a.txt", tok, "hello", "X-Request-Id: audit-put-1\r\n");
    EXPECT_EQ(up.status, 201) << up.body;
    std::string id = json_str(up.body, "id");
    EXPECT_EQ(co_await rows(env, "action = 'file.upload' AND actor_user = " + q(ann) + " AND actor_key IS NULL AND file_id = " +
                                     q(id) + " AND status = 201 AND outcome = 'ok' AND request_id = 'audit-put-1' "
                                     "AND client_address = '127.0.0.1' AND method = 'PUT' AND route = '/v1/files/content'"),
              1);

    // Form upload.
    std::string boundary = "audit-boundary-1";
    std::string form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
                       "Content-Type: text/plain\r\n\r\nform bytes\r\n--" + boundary + "--\r\n";
    auto posted = co_await env.req("POST", "/v1/files", tok, form,
                                   "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n");
    EXPECT_EQ(posted.status, 201) << posted.body;
    EXPECT_EQ(co_await rows(env, "action = 'file.upload_form' AND outcome = 'ok' AND file_id IS NOT NULL AND actor_user = " +
                                     q(ann)),
              1);

    // A multipart session: create, part, complete, and an abort of another.
    auto init = co_await env.initiate(tok, "big.bin", 1000, 0);
    EXPECT_EQ(init.status, 201) << init.body;
    auto part = co_await env.put_part(tok, init.upload_id, 1, std::string(1000, 'x'));
    EXPECT_EQ(part.status, 200) << part.body;
    std::vector<std::pair<int, std::string>> parts;  // named: GCC 12 and braced temporaries in co_await
    parts.emplace_back(1, part.header("etag"));
    auto done = co_await env.complete(tok, init.upload_id, std::move(parts));
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(co_await rows(env, "action = 'upload.create' AND file_id = " + q(init.file_id) + " AND target = " +
                                     q(init.upload_id)),
              1);
    EXPECT_EQ(co_await rows(env, "action = 'upload.part' AND target = " + q(init.upload_id) + " AND outcome = 'ok'"), 1);
    EXPECT_EQ(co_await rows(env, "action = 'upload.complete' AND target = " + q(init.upload_id) + " AND outcome = 'ok'"),
              1);
    auto other = co_await env.initiate(tok, "gone.bin", 1000, 0);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/uploads/" + other.upload_id, tok)).status, 204);
    EXPECT_EQ(co_await rows(env, "action = 'upload.abort' AND target = " + q(other.upload_id)), 1);

    // tus: create, append (the completing PATCH names the file), terminate another.
    std::string tus = "Tus-Resumable: 1.0.0\r\n";
    auto created = co_await env.req("POST", "/v1/tus", tok, "", tus + "Upload-Length: 5\r\n");
    EXPECT_EQ(created.status, 201) << created.body;
    std::string loc = created.header("location");
    std::string tus_id = loc.substr(loc.rfind('/') + 1);
    auto appended = co_await env.req("PATCH", "/v1/tus/" + tus_id, tok, "12345",
                                     tus + "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n");
    EXPECT_EQ(appended.status, 204) << appended.body;
    EXPECT_EQ(co_await rows(env, "action = 'tus.create' AND outcome = 'ok' AND actor_user = " + q(ann)), 1);
    EXPECT_EQ(co_await rows(env, "action = 'tus.append' AND target = " + q(tus_id) + " AND file_id = " +
                                     q(appended.header("sluice-file-id"))),
              1);
    auto second = co_await env.req("POST", "/v1/tus", tok, "", tus + "Upload-Length: 5\r\n");
    std::string loc2 = second.header("location");
    std::string tus2 = loc2.substr(loc2.rfind('/') + 1);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/tus/" + tus2, tok, "", tus)).status, 204);
    EXPECT_EQ(co_await rows(env, "action = 'tus.terminate' AND target = " + q(tus2)), 1);

    // Reads of one's own files are not audited.
    EXPECT_EQ((co_await env.req("GET", "/v1/files/" + id + "/content", tok)).status, 200);
    EXPECT_EQ(co_await rows(env, "method = 'GET'"), 0);
  });
}

// SLUICE_AUDIT=off: requests are served as before and nothing is recorded; the trail stays readable.
TEST(AuditApi, TurnedOffNothingIsRecorded) {
  with_mpu_env(
      "local",
      [](MpuEnv& env) -> Task<void> {
        std::string tok = token_for(env.user("off"));
        std::string id = co_await put_file(env, tok, "quiet.txt");
        EXPECT_FALSE(id.empty());
        EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + id, tok)).status, 204);
        EXPECT_EQ(co_await rows(env, "true"), 0);
        auto trail = co_await env.req("GET", "/v1/audit", tok);
        EXPECT_EQ(trail.status, 200) << trail.body;
        EXPECT_NE(trail.body.find("\"items\":[]"), std::string::npos) << trail.body;
      },
      [](ServiceConfig& c) {
        c.url_secret = kUrlSecret;
        c.audit = false;
      });
}

// -------------------------------------------------------------------------- files and trash

TEST(AuditApi, FileChangesTrashAndRefusalsAreRecorded) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = env.user("ann"), bob = env.user("bob");
    std::string tok = token_for(ann);
    std::string a = co_await put_file(env, tok, "a.txt");
    std::string b = co_await put_file(env, tok, "b.txt");
    EXPECT_EQ((co_await env.req("PATCH", "/v1/files/" + a, tok, R"({"name":"a2.txt"})", kJson)).status, 200);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + a, tok)).status, 204);
    EXPECT_EQ((co_await env.req("POST", "/v1/files/" + a + "/restore", tok)).status, 200);
    std::string body = "{\"ids\":[\"" + a + "\",\"" + b + "\"],\"permanent\":false}";
    EXPECT_EQ((co_await env.req("POST", "/v1/files/delete", tok, body, kJson)).status, 200);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/trash", tok)).status, 200);
    std::vector<std::string> actions;  // (no braced list of strings in a coroutine: GCC 12)
    actions.push_back("file.update");
    actions.push_back("file.delete");
    actions.push_back("file.restore");
    for (const std::string& action : actions)
      EXPECT_EQ(co_await rows(env, "action = '" + action + "' AND file_id = " + q(a) +
                                       " AND outcome = 'ok' AND actor_user = " + q(ann)),
                1)
          << action;
    EXPECT_EQ(co_await rows(env, "action = 'file.bulk_delete' AND outcome = 'ok'"), 1);
    EXPECT_EQ(co_await rows(env, "action = 'trash.empty' AND outcome = 'ok'"), 1);

    // Refused: no credentials (no actor), someone else's file (404), a bad token.
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + b, "")).status, 401);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + b, token_for(bob))).status, 404);
    EXPECT_EQ((co_await env.req("PATCH", "/v1/files/" + b, "not-a-token", "{}", kJson)).status, 401);
    EXPECT_EQ(co_await rows(env, "action = 'file.delete' AND actor_user IS NULL AND status = 401 AND outcome = 'refused' "
                                 "AND file_id = " + q(b)),
              1);
    EXPECT_EQ(co_await rows(env, "action = 'file.delete' AND actor_user = " + q(bob) +
                                     " AND status = 404 AND outcome = 'refused'"),
              1);
    EXPECT_EQ(co_await rows(env, "action = 'file.update' AND status = 401"), 1);
  });
}

// --------------------------------------------------- shares, public files, signed URLs

TEST(AuditApi, SharesPublicContentAndSignedUrlsAreRecorded) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = env.user("ann");
    std::string tok = token_for(ann);
    std::string id = co_await put_file(env, tok, "r.txt");
    auto made = co_await env.req("POST", "/v1/files/" + id + "/shares", tok, R"({"password":"s3cret-pw"})", kJson);
    EXPECT_EQ(made.status, 201) << made.body;
    std::string share = json_str(made.body, "id"), token = json_str(made.body, "token");
    EXPECT_EQ((co_await env.req("PATCH", "/v1/shares/" + share, tok, R"({"note":"n"})", kJson)).status, 200);

    // Anyone with the link: locked content, a wrong password, the right one, then the content.
    std::string pub = "/public/v1/shares/" + token;
    EXPECT_EQ((co_await env.req("GET", pub + "/content", "")).status, 401);
    EXPECT_EQ((co_await env.req("POST", pub + "/unlock", "", R"({"password":"wrong"})", kJson)).status, 401);
    auto unlocked = co_await env.req("POST", pub + "/unlock", "", R"({"password":"s3cret-pw"})", kJson);
    EXPECT_EQ(unlocked.status, 200) << unlocked.body;
    auto content = co_await env.req("GET", pub + "/content", "",
                                    "", "X-Share-Access: " + json_str(unlocked.body, "accessToken") + "\r\n");
    EXPECT_EQ(content.status, 200);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + share, tok)).status, 204);

    std::string shared = " AND target = " + q(share) + " AND file_id = " + q(id) + " AND owner = " + q(ann) +
                         " AND actor_user IS NULL";
    EXPECT_EQ(co_await rows(env, "action = 'share.create' AND outcome = 'ok' AND file_id = " + q(id)), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.update' AND outcome = 'ok' AND target = " + q(share)), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.content' AND status = 401 AND outcome = 'refused'" + shared), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.unlock' AND status = 401 AND outcome = 'refused'" + shared), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.unlock' AND status = 200" + shared), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.content' AND status = 200 AND outcome = 'ok'" + shared), 1);
    EXPECT_EQ(co_await rows(env, "action = 'share.delete' AND outcome = 'ok' AND target = " + q(share)), 1);
    // The token is a bearer secret: never in the log.
    EXPECT_EQ(co_await rows(env, "route LIKE '%" + token + "%' OR target = " + q(token)), 0);
    EXPECT_EQ(co_await rows(env, "route = '/public/v1/shares/{token}/content'"), 2);

    // A public file's content.
    EXPECT_EQ((co_await env.req("PATCH", "/v1/files/" + id, tok, R"({"visibility":"public"})", kJson)).status, 200);
    EXPECT_EQ((co_await env.req("GET", "/public/v1/files/" + id + "/content", "")).status, 200);
    EXPECT_EQ(co_await rows(env, "action = 'public.content' AND status = 200 AND actor_user IS NULL AND file_id = " + q(id) +
                                     " AND owner = " + q(ann)),
              1);

    // A signed URL: issued (recorded as such), then used by anyone.
    auto url = co_await env.req("GET", "/v1/files/" + id + "/url", tok);
    EXPECT_EQ(url.status, 200) << url.body;
    std::string signed_url = json_str(url.body, "url");
    std::string path = signed_url.substr(std::string("http://sluice.test").size());
    EXPECT_EQ((co_await env.req("GET", path, "")).status, 200);
    EXPECT_EQ(co_await rows(env, "action = 'file.signed_url' AND actor_user = " + q(ann) + " AND file_id = " + q(id)), 1);
    EXPECT_EQ(co_await rows(env, "action = 'signed.content' AND status = 200 AND actor_user IS NULL AND owner = " + q(ann) +
                                     " AND file_id = " + q(id)),
              1);
  });
}

// ----------------------------------------------------------------------- keys and admin

TEST(AuditApi, KeysAndAdminChangesAreRecorded) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = env.user("ann"), root = env.user("root");
    std::string tok = token_for(ann), admin = token_for(root, auth::Role::admin);
    auto key = co_await env.req("POST", "/v1/keys", tok, R"({"name":"ci"})", kJson);
    EXPECT_EQ(key.status, 201) << key.body;
    std::string key_id = json_str(key.body, "id");
    // The key's uploads name the key.
    (void)co_await put_file(env, json_str(key.body, "key"), "by-key.txt");
    EXPECT_EQ(co_await rows(env, "action = 'file.upload' AND actor_user = " + q(ann) + " AND actor_key = " + q(key_id)), 1);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/keys/" + key_id, tok)).status, 204);
    EXPECT_EQ(co_await rows(env, "action = 'key.create' AND outcome = 'ok' AND actor_user = " + q(ann)), 1);
    EXPECT_EQ(co_await rows(env, "action = 'key.delete' AND outcome = 'ok' AND target = " + q(key_id)), 1);

    auto quota = co_await env.req("PUT", "/v1/admin/users/" + ann + "/quota", admin, R"({"quotaBytes":5000})", kJson);
    EXPECT_EQ(quota.status, 200) << quota.body;
    EXPECT_EQ((co_await env.req("PUT", "/v1/admin/users/" + ann + "/quota", tok, R"({"quotaBytes":1})", kJson)).status,
              403);
    auto tier = co_await env.req("PUT", "/v1/admin/tiers/gold", admin,
                                 R"({"quotaBytes":1073741824,"maxFileBytes":104857600,"maxFiles":100,)"
                                 R"("maxConcurrentUploads":2,"allowedMimeTypes":null,"requestsPerMinute":600,"burst":100})",
                                 kJson);
    EXPECT_TRUE(tier.status == 200 || tier.status == 201) << tier.status << " " << tier.body;
    EXPECT_EQ((co_await env.req("DELETE", "/v1/admin/concurrency/users/" + ann, admin)).status, 200);
    EXPECT_EQ(co_await rows(env, "action = 'admin.quota' AND actor_user = " + q(root) + " AND target = " + q(ann) +
                                     " AND outcome = 'ok'"),
              1);
    EXPECT_EQ(co_await rows(env, "action = 'admin.quota' AND actor_user = " + q(ann) + " AND status = 403"), 1);
    EXPECT_EQ(co_await rows(env, "action = 'admin.tier' AND target = 'gold' AND outcome = 'ok'"), 1);
    EXPECT_EQ(co_await rows(env, "action = 'admin.concurrency_reset' AND target = " + q(ann) + " AND outcome = 'ok'"), 1);
  });
}

// ------------------------------------------------------------------------- read routes

// Every id of every page of `path` (which has a query string), following nextCursor.
Task<std::vector<std::string>> all_pages(MpuEnv& env, std::string path, std::string tok) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    std::string url = path;  // named: GCC 12 and temporaries in co_await
    if (!cursor.empty()) url += "&cursor=" + cursor;
    auto r = co_await env.req("GET", url, tok);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    size_t at = 0;
    while ((at = r.body.find("{\"id\":\"", at)) != std::string::npos) {
      at += 7;
      ids.push_back(r.body.substr(at, r.body.find('"', at) - at));
    }
    cursor = json_str(r.body, "nextCursor");
    if (cursor.empty()) break;
  }
  co_return ids;
}

TEST(AuditApi, TrailsFiltersAndPages) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = env.user("ann"), bob = env.user("bob"), root = env.user("root");
    std::string at = token_for(ann), bt = token_for(bob), admin = token_for(root, auth::Role::admin);
    time_t before = time(nullptr) - 1;
    std::string a1 = co_await put_file(env, at, "1.txt");
    std::string a2 = co_await put_file(env, at, "2.txt");
    std::string a3 = co_await put_file(env, at, "3.txt");
    std::string b1 = co_await put_file(env, bt, "b.txt");
    // Bob's file made public and read by someone: on bob's trail as its owner.
    EXPECT_EQ((co_await env.req("PATCH", "/v1/files/" + b1, bt, R"({"visibility":"public"})", kJson)).status, 200);
    EXPECT_EQ((co_await env.req("GET", "/public/v1/files/" + b1 + "/content", "")).status, 200);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + a1, at)).status, 204);

    // The caller's trail: ann's 4 rows, never bob's.
    auto mine = co_await env.req("GET", "/v1/audit", at);
    EXPECT_EQ(mine.status, 200) << mine.body;
    EXPECT_EQ(mine.body.find(bob), std::string::npos);
    EXPECT_NE(mine.body.find("\"nextCursor\":null"), std::string::npos);
    EXPECT_EQ((co_await all_pages(env, "/v1/audit?limit=1", at)).size(), 4u);
    // Newest first.
    EXPECT_LT(mine.body.find("\"file.delete\""), mine.body.find("\"file.upload\""));
    // Bob's: his upload and patch, and the public read of his file (no actor, bob the owner).
    auto bobs = co_await env.req("GET", "/v1/audit?action=public.content", bt);
    EXPECT_EQ(bobs.status, 200) << bobs.body;
    EXPECT_NE(bobs.body.find("\"user\":null"), std::string::npos);
    EXPECT_NE(bobs.body.find("\"owner\":\"" + bob + "\""), std::string::npos);
    EXPECT_EQ((co_await all_pages(env, "/v1/audit?limit=2", bt)).size(), 3u);
    // Users cannot look at others' trails, nor at the admin log.
    EXPECT_EQ((co_await env.req("GET", "/v1/audit?user=" + ann, bt)).status, 400);
    EXPECT_EQ((co_await env.req("GET", "/v1/admin/audit", bt)).status, 403);

    // Admin: filters and pages (every row once, in 2-row pages).
    auto everything = co_await all_pages(env, "/v1/admin/audit?limit=2", admin);
    EXPECT_EQ(everything.size(), 7u);
    std::set<std::string> unique(everything.begin(), everything.end());
    EXPECT_EQ(unique.size(), everything.size());
    EXPECT_EQ((co_await all_pages(env, "/v1/admin/audit?limit=1&user=" + ann, admin)).size(), 4u);
    EXPECT_EQ((co_await all_pages(env, "/v1/admin/audit?limit=5&file=" + a1, admin)).size(), 2u);
    EXPECT_EQ((co_await all_pages(env, "/v1/admin/audit?limit=5&action=file.upload", admin)).size(), 4u);
    auto by_file = co_await env.req("GET", "/v1/admin/audit?file=" + a2, admin);
    EXPECT_NE(by_file.body.find(a2), std::string::npos);
    EXPECT_EQ(by_file.body.find(a3), std::string::npos);
    std::string window = "from=" + iso(before) + "&to=" + iso(time(nullptr) + 2);
    EXPECT_EQ((co_await all_pages(env, "/v1/admin/audit?limit=3&" + window, admin)).size(), 7u);
    EXPECT_EQ((co_await all_pages(env, "/v1/admin/audit?limit=3&to=" + iso(before), admin)).size(), 0u);
    EXPECT_EQ((co_await env.req("GET", "/v1/admin/audit?limit=0", admin)).status, 400);
    EXPECT_EQ((co_await env.req("GET", "/v1/admin/audit?limit=1001", admin)).status, 400);
    EXPECT_EQ((co_await env.req("GET", "/v1/admin/audit?cursor=bogus", admin)).status, 400);
    EXPECT_EQ((co_await env.req("GET", "/v1/admin/audit?from=yesterday", admin)).status, 400);
    // Reading the log is not itself a change: still 7 rows.
    EXPECT_EQ(co_await rows(env, "true"), 7);
  });
}

// ------------------------------------------------------------ append-only and retention

TEST(AuditApi, RowsAreAppendOnlyAndOldPartitionsAreDropped) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("ann"));
    (void)co_await put_file(env, tok, "kept.txt");
    EXPECT_EQ(co_await rows(env, "true"), 1);
    auto upd = co_await env.check->execute("UPDATE sluice.audit_log SET outcome = 'failed'");
    EXPECT_FALSE(upd.ok());
    auto del = co_await env.check->execute("DELETE FROM sluice.audit_log");
    EXPECT_FALSE(del.ok());
    auto trunc = co_await env.check->execute("TRUNCATE sluice.audit_log");
    EXPECT_FALSE(trunc.ok());
    std::string current = co_await env.text("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')");
    auto trunc_part = co_await env.check->execute("TRUNCATE sluice.audit_log_p" + current);
    EXPECT_FALSE(trunc_part.ok());
    EXPECT_EQ(co_await rows(env, "outcome = 'ok'"), 1);

    // A partition of long ago with a row, one past the retention, one within.
    auto old = co_await env.check->execute(
        "CREATE TABLE sluice.audit_log_p202001 PARTITION OF sluice.audit_log "
        "FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2020-02-01 00:00:00+00')");
    EXPECT_TRUE(old.ok()) << (old.ok() ? "" : old.error().message);
    auto row = co_await env.check->execute(
        "INSERT INTO sluice.audit_log (at, action, method, route, status, outcome) "
        "VALUES ('2020-01-15 00:00:00+00', 'file.upload', 'PUT', '/v1/files/content', 201, 'ok')");
    EXPECT_TRUE(row.ok()) << (row.ok() ? "" : row.error().message);
    EXPECT_EQ(co_await rows(env, "true"), 2);

    JanitorOptions o;
    o.audit_retention = std::chrono::hours(24 * 365);
    Janitor j(*env.check, *env.store, env.redis.get(), o);
    JanitorReport rep = co_await j.run_once();
    EXPECT_EQ(rep.audit_partitions_dropped, 1u);
    EXPECT_EQ(rep.errors, 0u);
    EXPECT_EQ(co_await env.text("SELECT coalesce(to_regclass('sluice.audit_log_p202001')::text, 'gone')"), "gone");
    EXPECT_EQ(co_await rows(env, "true"), 1);  // this month's row is kept
    // Partitions exist ahead of time: next month's and the one after.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'sluice.audit_log'::regclass"), 3);
    EXPECT_EQ((co_await j.run_once()).audit_partitions_dropped, 0u);
  });
}

}  // namespace
}  // namespace sluice
