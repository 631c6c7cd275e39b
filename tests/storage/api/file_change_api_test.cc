// End to end: changing and deleting files on a real reactor with real PostgreSQL, Redis and the
// local store (and moto in the S3 variants): PATCH (rename, move, properties, metadata merge,
// name conflicts), trash, restore, purge, the trash listing, bulk delete, API-key scopes, and the
// janitor's expiry and retention purges, with the owner's used bytes and file count and the
// outbox events checked after each step.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/service/files/purge_queries.h"
#include "storage/service/janitor/janitor.h"
#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::id_in;
using testing::RawResponse;
using testing::token_for;
using Env = testing::UploadEnv;

class FileChanges : public ::testing::TestWithParam<std::string> {
 protected:
  template <class F>
  void with_env(F test) {
    testing::with_upload_env(GetParam(), std::move(test));
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, FileChanges, ::testing::Values("local", "s3"), testing::store_name);

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The string value of "name": in a flat JSON text, or "" when absent.
std::string field(const std::string& body, const std::string& name) {
  std::string k = "\"" + name + "\":\"";
  size_t p = body.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  return body.substr(p, body.find('"', p) - p);
}

Task<RawResponse> send(Env& env, std::string method, std::string target, std::string token, std::string body = "") {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  auto r = co_await env.call(std::move(req));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) {
    RawResponse bad;
    bad.status = -1;
    co_return bad;
  }
  co_return std::move(*r);
}

// Uploads `size` bytes as `path`/`name`; the new file's id ("" on failure).
Task<std::string> put(Env& env, std::string token, std::string path, std::string name, size_t size) {
  std::string query = "path=" + path + "&name=" + name;
  std::string body = testing::pattern_bytes(size, static_cast<unsigned>(size));
  auto r = co_await env.upload(token, query, body);
  EXPECT_TRUE(r.ok());
  if (!r.ok()) co_return std::string();
  EXPECT_EQ(r->status, 201) << r->body;
  co_return id_in(r->body);
}

// The status and error code of a refusal, checked together.
void expect_error(const RawResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_TRUE(has(r.body, "\"code\":\"" + code + "\"")) << r.body;
}

// used_bytes and file_count of `user`, checked together.
Task<void> expect_usage(Env& env, std::string user, int64_t bytes, int64_t files) {
  std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
  EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), bytes) << user;
  EXPECT_EQ(co_await env.scalar("SELECT file_count" + where), files) << user;
}

Task<int64_t> events(Env& env, std::string kind, std::string id) {
  co_return co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = '" + kind + "' AND aggregate_id = '" +
                                id + "'");
}

// ------------------------------------------------------------------------------------ PATCH

TEST_P(FileChanges, PatchRenamesMovesAndChangesEveryProperty) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("patcher");
    std::string tok = token_for(user);
    std::string id = co_await put(env, tok, "%2Fdocs", "a.txt", 10);
    std::string body =
        R"({"name":"b.txt","path":"/x//y/","visibility":"public","tags":["red","blue","red"],"favorite":true,)"
        R"("metadata":{"k":1,"j":"x"},"expiresAt":"2999-01-01T00:00:00Z"})";
    RawResponse r = co_await send(env, "PATCH", "/v1/files/" + id, tok, body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(field(r.body, "name"), "b.txt");
    EXPECT_EQ(field(r.body, "path"), "/x/y");
    EXPECT_EQ(field(r.body, "visibility"), "public");
    EXPECT_TRUE(has(r.body, R"("tags":["red","blue"])")) << r.body;
    EXPECT_TRUE(has(r.body, R"("favorite":true)")) << r.body;
    EXPECT_EQ(field(r.body, "expiresAt"), "2999-01-01T00:00:00.000Z");
    std::string is = "SELECT count(*) FROM sluice.files WHERE id = '" + id + "' AND metadata = ";
    EXPECT_EQ(co_await env.scalar(is + R"('{"k":1,"j":"x"}'::jsonb)"), 1);
    // Metadata merges: null removes a key, others are added or replaced; the rest stays.
    r = co_await send(env, "PATCH", "/v1/files/" + id, tok, R"({"metadata":{"k":null,"n":[1,2],"j":"y"}})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(co_await env.scalar(is + R"('{"j":"y","n":[1,2]}'::jsonb)"), 1);
    EXPECT_EQ(field(r.body, "name"), "b.txt");
    EXPECT_TRUE(has(r.body, R"("tags":["red","blue"])")) << r.body;
    // null clears the expiry and the tags; an empty patch changes nothing but is fine.
    r = co_await send(env, "PATCH", "/v1/files/" + id, tok, R"({"expiresAt":null,"tags":null,"favorite":false})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(has(r.body, R"("expiresAt":null)")) << r.body;
    EXPECT_TRUE(has(r.body, R"("tags":[])")) << r.body;
    EXPECT_TRUE(has(r.body, R"("favorite":false)")) << r.body;
    r = co_await send(env, "PATCH", "/v1/files/" + id, tok, "{}");
    EXPECT_EQ(r.status, 200) << r.body;
    // GET shows what PATCH answered; the content is unchanged and still readable.
    RawResponse got = co_await send(env, "GET", "/v1/files/" + id, tok);
    EXPECT_EQ(field(got.body, "path"), "/x/y");
    auto content = co_await env.get(tok, "/v1/files/" + id + "/content");
    EXPECT_EQ(content->status, 200);
    EXPECT_TRUE(content->body == testing::pattern_bytes(10, 10));
    EXPECT_EQ(co_await events(env, "file.updated", id), 4);
    co_await expect_usage(env, user, 10, 1);
    // An admin may change anyone's file.
    r = co_await send(env, "PATCH", "/v1/files/" + id, token_for(env.user("root"), auth::Role::admin),
                      R"({"name":"by-admin.txt"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(field(r.body, "owner"), user);
  });
}

constexpr const char* kBadPatches[][2] = {
    {"not json", "invalid_json"},
    {"[1]", "invalid_json"},
    {R"({"size":3})", "invalid_request"},
    {R"({"name":".."})", "invalid_name"},
    {R"({"name":"a/b"})", "invalid_name"},
    {R"({"name":""})", "invalid_name"},
    {R"({"name":5})", "invalid_name"},
    {R"({"name":null})", "invalid_name"},
    {R"({"path":"/a/../../etc"})", "invalid_path"},
    {R"({"path":7})", "invalid_path"},
    {R"({"visibility":"secret"})", "invalid_visibility"},
    {R"({"tags":"a,b"})", "invalid_tags"},
    {R"({"tags":[1]})", "invalid_tags"},
    {R"({"tags":[""]})", "invalid_tags"},
    {R"({"tags":["a\u0001"]})", "invalid_tags"},
    {R"({"favorite":"yes"})", "invalid_favorite"},
    {R"({"metadata":[1]})", "invalid_metadata"},
    {R"({"metadata":null})", "invalid_metadata"},
    {R"({"metadata":{"a":"\u0000"}})", "invalid_metadata"},
    {R"({"expiresAt":"2001-01-01T00:00:00Z"})", "invalid_expiry"},
    {R"({"expiresAt":"tomorrow"})", "invalid_expiry"},
    {R"({"expiresAt":4102444800})", "invalid_expiry"},
};

TEST_P(FileChanges, PatchRefusals) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("refused");
    std::string tok = token_for(user);
    std::string id = co_await put(env, tok, "%2F", "a.txt", 5);
    for (const auto& bad : kBadPatches) {
      RawResponse r = co_await send(env, "PATCH", "/v1/files/" + id, tok, bad[0]);
      expect_error(r, 400, bad[1]);
    }
    // 65 tags, a 129-byte tag, metadata over 16 KiB.
    std::string many = "{\"tags\":[";
    for (int i = 0; i < 65; ++i) many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, tok, many + "]}"), 400, "invalid_tags");
    std::string long_tag = "{\"tags\":[\"" + std::string(129, 'x') + "\"]}";
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, tok, long_tag), 400, "invalid_tags");
    std::string huge = "{\"metadata\":{\"a\":\"" + std::string(17000, 'x') + "\"}}";
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, tok, huge), 400, "invalid_metadata");
    // Each half fits; merged they would not.
    std::string half = std::string(9000, 'y');
    RawResponse first = co_await send(env, "PATCH", "/v1/files/" + id, tok, "{\"metadata\":{\"a\":\"" + half + "\"}}");
    EXPECT_EQ(first.status, 200) << first.body;
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, tok, "{\"metadata\":{\"b\":\"" + half + "\"}}"), 400,
                 "invalid_request");
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id + "?onConflict=merge", tok, "{}"), 400,
                 "invalid_request");
    // Absent, malformed and someone else's ids are all 404.
    expect_error(co_await send(env, "PATCH", "/v1/files/00000000-0000-4000-8000-000000000000", tok, "{}"), 404,
                 "not_found");
    expect_error(co_await send(env, "PATCH", "/v1/files/nope", tok, "{}"), 404, "not_found");
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, token_for(env.user("mallory")), R"({"name":"x"})"), 404,
                 "not_found");
    // A trashed file is seen, not changed.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + id, tok)).status, 204);
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, tok, R"({"name":"x"})"), 409, "conflict");
    RawResponse seen = co_await send(env, "GET", "/v1/files/" + id, tok);
    EXPECT_EQ(seen.status, 200);
    EXPECT_EQ(field(seen.body, "status"), "trashed");
    EXPECT_EQ(field(seen.body, "name"), "a.txt");
    EXPECT_EQ(co_await events(env, "file.updated", id), 1);
    // No session or token: 401.
    auto anon = co_await env.call("PATCH /v1/files/" + id + " HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
    EXPECT_EQ(anon->status, 401);
  });
}

TEST_P(FileChanges, RenameAndMoveConflicts) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("namer");
    std::string tok = token_for(user);
    std::string a = co_await put(env, tok, "%2F", "a.txt", 100);
    std::string b = co_await put(env, tok, "%2F", "b.txt", 20);
    std::string c = co_await put(env, tok, "%2Fsub", "a.txt", 3);
    co_await expect_usage(env, user, 123, 3);
    expect_error(co_await send(env, "PATCH", "/v1/files/" + b, tok, R"({"name":"a.txt"})"), 409, "name_conflict");
    expect_error(co_await send(env, "PATCH", "/v1/files/" + c, tok, R"({"path":"/"})"), 409, "name_conflict");
    // Renaming to its own name is no conflict.
    EXPECT_EQ((co_await send(env, "PATCH", "/v1/files/" + a, tok, R"({"name":"a.txt","path":"/"})")).status, 200);
    RawResponse renamed = co_await send(env, "PATCH", "/v1/files/" + b + "?onConflict=rename", tok, R"({"name":"a.txt"})");
    EXPECT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(field(renamed.body, "name"), "a (1).txt");
    RawResponse moved = co_await send(env, "PATCH", "/v1/files/" + c + "?onConflict=rename", tok, R"({"path":"/"})");
    EXPECT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(field(moved.body, "name"), "a (2).txt");
    EXPECT_EQ(field(moved.body, "path"), "/");
    co_await expect_usage(env, user, 123, 3);
    EXPECT_EQ(co_await env.stored_objects(), 3);
    // Replace: the holder of the name is purged (quota released at once, object removed).
    RawResponse replaced = co_await send(env, "PATCH", "/v1/files/" + c + "?onConflict=replace", tok, R"({"name":"a.txt"})");
    EXPECT_EQ(replaced.status, 200) << replaced.body;
    EXPECT_EQ(field(replaced.body, "name"), "a.txt");
    EXPECT_EQ(field(replaced.body, "id"), c);
    co_await expect_usage(env, user, 23, 2);
    EXPECT_EQ((co_await send(env, "GET", "/v1/files/" + a, tok)).status, 404);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE id = '" + a + "'"), 0);
    EXPECT_EQ(co_await env.stored_objects(), 2);
    EXPECT_EQ(co_await events(env, "file.deleted", a), 1);
    // Replace with nobody holding the name is a plain rename.
    RawResponse plain = co_await send(env, "PATCH", "/v1/files/" + b + "?onConflict=replace", tok, R"({"name":"z.txt"})");
    EXPECT_EQ(field(plain.body, "name"), "z.txt");
    co_await expect_usage(env, user, 23, 2);
    // Another user's file of the same name is no conflict.
    std::string other = co_await put(env, token_for(env.user("neighbour")), "%2F", "q.txt", 1);
    EXPECT_FALSE(other.empty());
    EXPECT_EQ((co_await send(env, "PATCH", "/v1/files/" + b, tok, R"({"name":"q.txt"})")).status, 200);
  });
}

Task<void> rename_to(Env& env, std::string tok, std::string id, std::string name, int* status, std::string* code) {
  RawResponse r = co_await send(env, "PATCH", "/v1/files/" + id, tok, "{\"name\":\"" + name + "\"}");
  *status = r.status;
  *code = r.status == 200 ? std::string() : field(r.body, "code");
}

// Ten files renamed to one name at once: the unique index lets exactly one have it, and the others
// are told name_conflict (not a database error).
TEST_P(FileChanges, ConcurrentRenamesToOneNameLetOneWin) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("racer");
    std::string tok = token_for(user);
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.push_back(co_await put(env, tok, "%2F", "r" + std::to_string(i), 1));
    std::vector<int> status(10);
    std::vector<std::string> code(10);
    TaskGroup group;
    for (int i = 0; i < 10; ++i) spawn(rename_to(env, tok, ids[i], "same.txt", &status[i], &code[i]), &group);
    co_await group.wait();
    int won = 0;
    for (int i = 0; i < 10; ++i) {
      if (status[i] == 200) {
        ++won;
      } else {
        EXPECT_EQ(status[i], 409);
        EXPECT_EQ(code[i], "name_conflict");
      }
    }
    EXPECT_EQ(won, 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE name = 'same.txt'"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.updated'"), 1);
  });
}

// ------------------------------------------------------------------------------- trash, purge

TEST_P(FileChanges, TrashRestorePurgeWithExactQuota) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("trasher");
    std::string tok = token_for(user);
    std::string f1 = co_await put(env, tok, "%2F", "one.txt", 10);
    std::string f2 = co_await put(env, tok, "%2F", "two.txt", 20);
    std::string f3 = co_await put(env, tok, "%2F", "three.txt", 30);
    co_await expect_usage(env, user, 60, 3);
    // Trash: still counted, still stored, seen with GET (status, trashedAt), listed in the trash.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f1, tok)).status, 204);
    co_await expect_usage(env, user, 60, 3);
    EXPECT_EQ(co_await env.stored_objects(), 3);
    RawResponse seen = co_await send(env, "GET", "/v1/files/" + f1, tok);
    EXPECT_EQ(field(seen.body, "status"), "trashed");
    EXPECT_FALSE(field(seen.body, "trashedAt").empty()) << seen.body;
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f1, tok)).status, 204);  // again: still fine
    EXPECT_EQ(co_await events(env, "file.trashed", f1), 1);
    RawResponse trash = co_await send(env, "GET", "/v1/trash", tok);
    EXPECT_EQ(trash.status, 200);
    EXPECT_EQ(id_in(trash.body), f1);
    EXPECT_TRUE(has(trash.body, R"("nextCursor":null)")) << trash.body;
    // Restore.
    RawResponse back = co_await send(env, "POST", "/v1/files/" + f1 + "/restore", tok);
    EXPECT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(field(back.body, "status"), "available");
    EXPECT_TRUE(has(back.body, R"("trashedAt":null)")) << back.body;
    EXPECT_EQ(co_await events(env, "file.restored", f1), 1);
    expect_error(co_await send(env, "POST", "/v1/files/" + f1 + "/restore", tok), 409, "conflict");
    co_await expect_usage(env, user, 60, 3);
    // Restore when a live file took the name meanwhile: 409, rename, or replace.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f1, tok)).status, 204);
    std::string f4 = co_await put(env, tok, "%2F", "one.txt", 40);
    co_await expect_usage(env, user, 100, 4);
    expect_error(co_await send(env, "POST", "/v1/files/" + f1 + "/restore", tok), 409, "name_conflict");
    expect_error(co_await send(env, "POST", "/v1/files/" + f1 + "/restore?onConflict=no", tok), 400,
                 "invalid_request");
    back = co_await send(env, "POST", "/v1/files/" + f1 + "/restore?onConflict=rename", tok);
    EXPECT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(field(back.body, "name"), "one (1).txt");
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f4, tok)).status, 204);
    std::string f5 = co_await put(env, tok, "%2F", "one.txt", 50);
    co_await expect_usage(env, user, 150, 5);
    back = co_await send(env, "POST", "/v1/files/" + f4 + "/restore?onConflict=replace", tok);
    EXPECT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(field(back.body, "name"), "one.txt");
    co_await expect_usage(env, user, 100, 4);  // f5 purged
    EXPECT_EQ(co_await env.stored_objects(), 4);
    EXPECT_EQ(co_await events(env, "file.deleted", f5), 1);
    // Permanent delete of a live file: released at once, object gone.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f3 + "?permanent=true", tok)).status, 204);
    co_await expect_usage(env, user, 70, 3);
    EXPECT_EQ(co_await env.stored_objects(), 3);
    EXPECT_EQ((co_await send(env, "GET", "/v1/files/" + f3, tok)).status, 404);
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f3 + "?permanent=true", tok)).status, 404);
    expect_error(co_await send(env, "DELETE", "/v1/files/" + f2 + "?permanent=yes", tok), 400, "invalid_request");
    // Permanent delete of a trashed file.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f2, tok)).status, 204);
    co_await expect_usage(env, user, 70, 3);
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f2 + "?permanent=true", tok)).status, 204);
    co_await expect_usage(env, user, 50, 2);
    EXPECT_EQ(co_await events(env, "file.deleted", f2), 1);
    // Others' and absent files are 404 for DELETE and restore.
    std::string mallory = token_for(env.user("mallory"));
    expect_error(co_await send(env, "DELETE", "/v1/files/" + f1, mallory), 404, "not_found");
    expect_error(co_await send(env, "DELETE", "/v1/files/" + f1 + "?permanent=true", mallory), 404, "not_found");
    expect_error(co_await send(env, "POST", "/v1/files/" + f1 + "/restore", mallory), 404, "not_found");
    expect_error(co_await send(env, "DELETE", "/v1/files/00000000-0000-4000-8000-000000000000", tok), 404, "not_found");
    expect_error(co_await send(env, "DELETE", "/v1/files/x", tok), 404, "not_found");
    co_await expect_usage(env, user, 50, 2);
    // Empty the trash: both remaining files trashed, then purged.
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f1, tok)).status, 204);
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + f4, tok)).status, 204);
    co_await expect_usage(env, user, 50, 2);
    RawResponse emptied = co_await send(env, "DELETE", "/v1/trash", tok);
    EXPECT_EQ(emptied.status, 200) << emptied.body;
    EXPECT_TRUE(has(emptied.body, R"("purged":2)")) << emptied.body;
    co_await expect_usage(env, user, 0, 0);
    EXPECT_EQ(co_await env.stored_objects(), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE owner = '" + user + "'"), 0);
    EXPECT_TRUE(has((co_await send(env, "DELETE", "/v1/trash", tok)).body, R"("purged":0)"));
    // Every purge wrote its 'file.deleted' event: f5, f3, f2, f1, f4.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.deleted'"), 5);
  });
}

TEST_P(FileChanges, TrashListsNewestFirstInPages) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("pager");
    std::string tok = token_for(user);
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
      std::string name = "p" + std::to_string(i) + ".txt";
      ids.push_back(co_await put(env, tok, "%2F", name, 1));
      EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + ids.back(), tok)).status, 204);
    }
    // Two share a trashed_at: the id breaks the tie, and no page loses or repeats one.
    (void)co_await env.scalar("UPDATE sluice.files SET trashed_at = (SELECT trashed_at FROM sluice.files WHERE id = '" +
                              ids[1] + "') WHERE id = '" + ids[2] + "' RETURNING 0");
    std::string other = co_await put(env, token_for(env.user("stranger")), "%2F", "s.txt", 1);
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + other, token_for(env.user("stranger")))).status, 204);
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (; pages < 10; ++pages) {
      std::string target = "/v1/trash?limit=2" + (cursor.empty() ? std::string() : "&cursor=" + cursor);
      RawResponse page = co_await send(env, "GET", target, tok);
      EXPECT_EQ(page.status, 200) << page.body;
      for (size_t at = page.body.find("\"id\":\""); at != std::string::npos; at = page.body.find("\"id\":\"", at + 1))
        seen.push_back(page.body.substr(at + 6, 36));
      cursor = field(page.body, "nextCursor");
      if (cursor.empty()) break;
    }
    EXPECT_EQ(pages, 2);
    EXPECT_EQ(seen.size(), 5u);
    EXPECT_EQ(seen.front(), ids[4]);
    EXPECT_EQ(seen.back(), ids[0]);
    for (const auto& id : ids) EXPECT_EQ(std::count(seen.begin(), seen.end(), id), 1) << id;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), other), 0);
    expect_error(co_await send(env, "GET", "/v1/trash?limit=0", tok), 400, "invalid_request");
    expect_error(co_await send(env, "GET", "/v1/trash?limit=1001", tok), 400, "invalid_request");
    expect_error(co_await send(env, "GET", "/v1/trash?limit=x", tok), 400, "invalid_request");
    expect_error(co_await send(env, "GET", "/v1/trash?cursor=bm9wZQ", tok), 400, "invalid_request");
    RawResponse all = co_await send(env, "GET", "/v1/trash?limit=1000", tok);
    EXPECT_TRUE(has(all.body, R"("nextCursor":null)")) << all.body;
  });
}

TEST_P(FileChanges, BulkDeleteAnswersPerIdInOrder) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("bulk");
    std::string tok = token_for(user);
    std::string a = co_await put(env, tok, "%2F", "a", 1);
    std::string b = co_await put(env, tok, "%2F", "b", 2);
    std::string c = co_await put(env, tok, "%2F", "c", 4);
    std::string theirs = co_await put(env, token_for(env.user("else")), "%2F", "t", 8);
    std::string absent = "00000000-0000-4000-8000-000000000000";
    std::string upper = c;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string body = "{\"ids\":[\"" + a + "\",\"" + theirs + "\",\"" + absent + "\",\"nope\",\"" + b + "\",\"" + a +
                       "\",\"" + upper + "\"],\"permanent\":false}";
    RawResponse r = co_await send(env, "POST", "/v1/files/delete", tok, body);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string want = "{\"results\":[{\"id\":\"" + a + "\",\"status\":\"trashed\"},{\"id\":\"" + theirs +
                       "\",\"status\":\"not_found\"},{\"id\":\"" + absent +
                       "\",\"status\":\"not_found\"},{\"id\":\"nope\",\"status\":\"invalid_id\"},{\"id\":\"" + b +
                       "\",\"status\":\"trashed\"},{\"id\":\"" + a + "\",\"status\":\"trashed\"},{\"id\":\"" + upper +
                       "\",\"status\":\"trashed\"}]}";
    EXPECT_EQ(r.body, want);
    co_await expect_usage(env, user, 7, 3);
    co_await expect_usage(env, env.user("else"), 8, 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'trashed'"), 3);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.trashed'"), 3);
    // Permanent: trashed ones and (absent) others in one go.
    body = "{\"ids\":[\"" + a + "\",\"" + theirs + "\",\"" + c + "\"],\"permanent\":true}";
    r = co_await send(env, "POST", "/v1/files/delete", tok, body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "{\"results\":[{\"id\":\"" + a + "\",\"status\":\"deleted\"},{\"id\":\"" + theirs +
                          "\",\"status\":\"not_found\"},{\"id\":\"" + c + "\",\"status\":\"deleted\"}]}");
    co_await expect_usage(env, user, 2, 1);
    EXPECT_EQ(co_await env.stored_objects(), 2);  // b (trashed) and theirs
    // Refusals.
    std::string many = "{\"ids\":[";
    for (int i = 0; i < 1001; ++i) many += (i ? ",\"" : "\"") + absent + "\"";
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, many + "]}"), 400, "invalid_request");
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, "{}"), 400, "invalid_request");
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, R"({"ids":"a"})"), 400, "invalid_request");
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, R"({"ids":[1]})"), 400, "invalid_request");
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, R"({"ids":[],"permanent":"yes"})"), 400,
                 "invalid_request");
    expect_error(co_await send(env, "POST", "/v1/files/delete", tok, R"({"ids":[],"force":true})"), 400,
                 "invalid_request");
    // Exactly 1,000 is fine.
    std::string thousand = "{\"ids\":[";
    for (int i = 0; i < 1000; ++i) thousand += (i ? ",\"" : "\"") + absent + "\"";
    RawResponse ok = co_await send(env, "POST", "/v1/files/delete", tok, thousand + "]}");
    EXPECT_EQ(ok.status, 200);
  });
}

// ------------------------------------------------------------------------------- scopes

// A new API key of the owner of `tok` with `scopes` (a JSON array).
Task<std::string> key_with(Env& env, std::string tok, std::string scopes) {
  RawResponse r = co_await send(env, "POST", "/v1/keys", tok, "{\"name\":\"k\",\"scopes\":" + scopes + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  co_return field(r.body, "key");
}

TEST_P(FileChanges, ApiKeyScopesAreEnforced) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("scoped");
    std::string tok = token_for(user);
    std::string id = co_await put(env, tok, "%2F", "k.txt", 3);
    std::string reader_scopes = R"(["files:read"])";
    std::string writer_scopes = R"(["files:write"])";
    std::string deleter_scopes = R"(["files:delete"])";
    std::string reader = co_await key_with(env, tok, reader_scopes);
    std::string writer = co_await key_with(env, tok, writer_scopes);
    std::string deleter = co_await key_with(env, tok, deleter_scopes);
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, reader, R"({"name":"r"})"), 403, "insufficient_scope");
    expect_error(co_await send(env, "DELETE", "/v1/files/" + id, reader), 403, "insufficient_scope");
    expect_error(co_await send(env, "DELETE", "/v1/files/" + id, writer), 403, "insufficient_scope");
    expect_error(co_await send(env, "POST", "/v1/files/delete", writer, R"({"ids":[]})"), 403, "insufficient_scope");
    expect_error(co_await send(env, "DELETE", "/v1/trash", writer), 403, "insufficient_scope");
    expect_error(co_await send(env, "GET", "/v1/trash", deleter), 403, "insufficient_scope");
    expect_error(co_await send(env, "PATCH", "/v1/files/" + id, deleter, R"({"name":"r"})"), 403, "insufficient_scope");
    EXPECT_EQ((co_await send(env, "PATCH", "/v1/files/" + id, writer, R"({"name":"w"})")).status, 200);
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + id, deleter)).status, 204);
    EXPECT_EQ((co_await send(env, "GET", "/v1/trash", reader)).status, 200);
    expect_error(co_await send(env, "POST", "/v1/files/" + id + "/restore", deleter), 403, "insufficient_scope");
    EXPECT_EQ((co_await send(env, "POST", "/v1/files/" + id + "/restore", writer)).status, 200);
    RawResponse bulk = co_await send(env, "POST", "/v1/files/delete", deleter, "{\"ids\":[\"" + id + "\"]}");
    EXPECT_EQ(bulk.status, 200);
    EXPECT_TRUE(has(bulk.body, "\"trashed\"")) << bulk.body;
    EXPECT_EQ((co_await send(env, "DELETE", "/v1/trash", deleter)).status, 200);
    co_await expect_usage(env, user, 0, 0);
  });
}

// ------------------------------------------------------------------------------- the janitor

TEST_P(FileChanges, JanitorPurgesExpiredFilesAndOldTrash) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("expiring");
    std::string tok = token_for(user);
    std::string expiring = co_await put(env, tok, "%2F", "e.txt", 100);
    std::string expiring_trashed = co_await put(env, tok, "%2F", "et.txt", 200);
    std::string old_trash = co_await put(env, tok, "%2F", "old.txt", 400);
    std::string new_trash = co_await put(env, tok, "%2F", "new.txt", 800);
    std::string kept = co_await put(env, tok, "%2F", "kept.txt", 1600);
    // An expiry is set through PATCH (it must be in the future), then the clock "moves on".
    std::vector<std::string> with_expiry;
    with_expiry.push_back(expiring);
    with_expiry.push_back(expiring_trashed);
    with_expiry.push_back(kept);
    for (const std::string& id : with_expiry) {
      RawResponse r = co_await send(env, "PATCH", "/v1/files/" + id, tok, R"({"expiresAt":"2999-01-01T00:00:00Z"})");
      EXPECT_EQ(r.status, 200) << r.body;
    }
    (void)co_await env.scalar("UPDATE sluice.files SET expires_at = now() - interval '1 second' WHERE id IN ('" +
                              expiring + "', '" + expiring_trashed + "') RETURNING 0");
    std::vector<std::string> trashed;
    trashed.push_back(expiring_trashed);
    trashed.push_back(old_trash);
    trashed.push_back(new_trash);
    for (const std::string& id : trashed)
      EXPECT_EQ((co_await send(env, "DELETE", "/v1/files/" + id, tok)).status, 204);
    (void)co_await env.scalar("UPDATE sluice.files SET trashed_at = now() - interval '31 days' WHERE id = '" +
                              old_trash + "' RETURNING 0");
    co_await expect_usage(env, user, 3100, 5);
    JanitorOptions o;
    o.trash_retention = std::chrono::hours(24 * 30);
    Janitor janitor(*env.check, *env.bucket, nullptr, o);
    JanitorReport report = co_await janitor.run_once();
    EXPECT_EQ(report.files_expired, 2u) << report.to_json();
    EXPECT_EQ(report.trash_purged, 1u) << report.to_json();
    EXPECT_EQ(report.purges_finished, 0u) << report.to_json();
    EXPECT_EQ(report.errors, 0u) << report.to_json();
    EXPECT_TRUE(has(report.to_json(), R"("filesExpired":2,"trashPurged":1,"purgesFinished":0)")) << report.to_json();
    co_await expect_usage(env, user, 2400, 2);
    EXPECT_EQ(co_await env.stored_objects(), 2);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 2);
    EXPECT_EQ(co_await events(env, "file.expired", expiring), 1);
    EXPECT_EQ(co_await events(env, "file.expired", expiring_trashed), 1);
    EXPECT_EQ(co_await events(env, "file.deleted", old_trash), 1);
    EXPECT_EQ((co_await send(env, "GET", "/v1/files/" + kept, tok)).status, 200);
    EXPECT_EQ((co_await send(env, "GET", "/v1/files/" + new_trash, tok)).status, 200);
    // A second run finds nothing.
    JanitorReport again = co_await janitor.run_once();
    EXPECT_EQ(again.files_expired + again.trash_purged + again.purges_finished, 0u) << again.to_json();
  });
}

// A purge cut short after its first step ('deleted' rows, quota released, objects still there)
// is finished by the janitor once it is older than stale_purge_after.
TEST_P(FileChanges, JanitorFinishesPurgesCutShort) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("cut");
    std::string tok = token_for(user);
    std::string a = co_await put(env, tok, "%2F", "a", 5);
    std::string b = co_await put(env, tok, "%2F", "b", 7);
    // The first step of a purge, as a process that died right after it left it.
    std::vector<std::string> ids;
    ids.push_back(a);
    auto purged = co_await env.check->query(purge_sql::kPurgeOwned, user, ids);
    EXPECT_TRUE(purged.ok() && purged->rows() == 1);
    co_await expect_usage(env, user, 7, 1);
    EXPECT_EQ(co_await env.stored_objects(), 2);
    JanitorOptions o;
    Janitor janitor(*env.check, *env.bucket, nullptr, o);
    JanitorReport young = co_await janitor.run_once();  // within stale_purge_after: a live purger's
    EXPECT_EQ(young.purges_finished, 0u);
    EXPECT_EQ(co_await env.stored_objects(), 2);
    (void)co_await env.scalar("UPDATE sluice.files SET updated_at = now() - interval '2 minutes' WHERE id = '" + a +
                              "' RETURNING 0");
    JanitorReport report = co_await janitor.run_once();
    EXPECT_EQ(report.purges_finished, 1u) << report.to_json();
    EXPECT_EQ(co_await env.stored_objects(), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'deleted'"), 0);
    co_await expect_usage(env, user, 7, 1);
    EXPECT_EQ((co_await send(env, "GET", "/v1/files/" + b + "/content", tok)).status, 200);
  });
}

}  // namespace
}  // namespace sluice
