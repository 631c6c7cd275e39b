// End to end: unique live names on upload sessions (POST /v1/uploads), on both stores: a taken
// name is refused when the session is opened (nothing reserved, leased or created in the store),
// rename picks the free name then, and a session whose name a live file took meanwhile fails
// its complete with name_conflict and gives everything back, its joined object included;
// replace and rename are carried by the session row to the complete.
#include <gtest/gtest.h>

#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using testing::error_code;
using testing::json_str;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::RawResponse;
using testing::token_for;
using testing::with_mpu_env;

class NameConflictSession : public ::testing::TestWithParam<std::string> {};

constexpr uint64_t kSize = 1000;  // one part

Task<RawResponse> open_session(MpuEnv& env, std::string tok, std::string name, std::string on_conflict) {
  std::string body = "{\"path\":\"/big\",\"name\":\"" + name + "\",\"size\":" + std::to_string(kSize);
  if (!on_conflict.empty()) body += ",\"onConflict\":\"" + on_conflict + "\"";
  body += "}";
  co_return co_await env.req("POST", "/v1/uploads", std::move(tok), std::move(body), "Content-Type: application/json\r\n");
}

Task<RawResponse> put_file(MpuEnv& env, std::string tok, std::string name, std::string content) {
  co_return co_await env.req("PUT", "/v1/files/content?path=%2Fbig&name=" + name, std::move(tok), std::move(content));
}

// Sends the one part of session `id` and completes it.
Task<RawResponse> send_and_complete(MpuEnv& env, std::string tok, std::string id, std::string content) {
  auto part = co_await env.put_part(tok, id, 1, std::move(content));
  EXPECT_EQ(part.status, 200) << part.body;
  std::vector<std::pair<int, std::string>> parts;
  parts.emplace_back(1, json_str(part.body, "etag"));
  co_return co_await env.complete(std::move(tok), std::move(id), std::move(parts));
}

Task<int64_t> account(MpuEnv& env, std::string user, std::string column) {
  co_return co_await env.scalar("SELECT " + column + " FROM sluice.accounts WHERE user_id = '" + user + "'");
}

TEST_P(NameConflictSession, ATakenNameIsRefusedWhenTheSessionOpens) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("alice"), tok = token_for(user);
    auto first = co_await put_file(env, tok, "a.txt", "abc");
    EXPECT_EQ(first.status, 201) << first.body;
    auto refused = co_await open_session(env, tok, "a.txt", "");
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(error_code(refused.body), "name_conflict");
    EXPECT_NE(refused.body.find("\"existingFileId\":\"" + json_str(first.body, "id") + "\""), std::string::npos)
        << refused.body;
    auto explicit_fail = co_await open_session(env, tok, "a.txt", "fail");
    EXPECT_EQ(explicit_fail.status, 409) << explicit_fail.body;
    auto bad = co_await open_session(env, tok, "a.txt", "clobber");
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(error_code(bad.body), "invalid_request");
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    EXPECT_EQ(co_await env.store_uploads(), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.uploads"), 0);
  });
}

TEST_P(NameConflictSession, RenamePicksTheFreeNameWhenTheSessionOpens) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("ren"), tok = token_for(user);
    EXPECT_EQ((co_await put_file(env, tok, "a.txt", "abc")).status, 201);
    EXPECT_EQ((co_await put_file(env, tok, "a%20(1).txt", "abc")).status, 201);
    auto opened = co_await open_session(env, tok, "a.txt", "rename");
    EXPECT_EQ(opened.status, 201) << opened.body;
    std::string content = pattern_bytes(kSize, 3);
    auto done = co_await send_and_complete(env, tok, json_str(opened.body, "uploadId"), content);
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_str(done.body, "name"), "a (2).txt");
    EXPECT_EQ(co_await account(env, user, "file_count"), 3);
    EXPECT_EQ(co_await account(env, user, "used_bytes"), static_cast<int64_t>(6 + kSize));
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
  });
}

TEST_P(NameConflictSession, ANameTakenBeforeTheCompleteFailsItAndGivesEverythingBack) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("late"), tok = token_for(user);
    auto opened = co_await open_session(env, tok, "late.bin", "");
    EXPECT_EQ(opened.status, 201) << opened.body;
    std::string upload_id = json_str(opened.body, "uploadId"), file_id = json_str(opened.body, "fileId");
    std::string key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + file_id + "'");
    // Another upload takes the name while the session is open.
    auto other = co_await put_file(env, tok, "late.bin", "other");
    EXPECT_EQ(other.status, 201) << other.body;
    auto done = co_await send_and_complete(env, tok, upload_id, pattern_bytes(kSize, 4));
    EXPECT_EQ(done.status, 409) << done.body;
    EXPECT_EQ(error_code(done.body), "name_conflict");
    EXPECT_EQ(done.body.find("duplicate key"), std::string::npos) << done.body;
    EXPECT_EQ(co_await env.text("SELECT state FROM sluice.uploads WHERE id = '" + upload_id + "'"), "failed");
    EXPECT_EQ(co_await env.text("SELECT status FROM sluice.files WHERE id = '" + file_id + "'"), "failed");
    EXPECT_FALSE(co_await env.object_exists(key)) << "the session's joined object is still stored";
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    EXPECT_EQ(co_await env.store_uploads(), 0);
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 5);
    EXPECT_EQ(co_await account(env, user, "file_count"), 1);
    // The live file is the other one, untouched.
    auto down = co_await env.req("GET", "/v1/files/" + json_str(other.body, "id") + "/content", tok);
    EXPECT_EQ(down.body, "other");
  });
}

// onConflict=replace travels with the session row to the complete: the live file that has the
// name then is purged in the commit's transaction (row gone, object gone, usage exact).
TEST_P(NameConflictSession, ReplaceAtCompletePurgesTheLiveFile) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("repl"), tok = token_for(user);
    auto old = co_await put_file(env, tok, "r.bin", "old-content");
    EXPECT_EQ(old.status, 201) << old.body;
    std::string old_id = json_str(old.body, "id");
    std::string old_key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + old_id + "'");
    auto opened = co_await open_session(env, tok, "r.bin", "replace");
    EXPECT_EQ(opened.status, 201) << opened.body;
    EXPECT_EQ(co_await env.text("SELECT on_conflict FROM sluice.uploads WHERE id = '" +
                                json_str(opened.body, "uploadId") + "'"),
              "replace");
    std::string content = pattern_bytes(kSize, 5);
    auto done = co_await send_and_complete(env, tok, json_str(opened.body, "uploadId"), content);
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_str(done.body, "name"), "r.bin");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE id = '" + old_id + "'"), 0);
    EXPECT_FALSE(co_await env.object_exists(old_key)) << "the replaced file's object is still stored";
    EXPECT_EQ(co_await account(env, user, "used_bytes"), static_cast<int64_t>(kSize));
    EXPECT_EQ(co_await account(env, user, "file_count"), 1);
    EXPECT_EQ(co_await env.reserved(user), 0);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.deleted' AND aggregate_id = '" +
                                  old_id + "'"),
              1);
    auto down = co_await env.req("GET", "/v1/files/" + json_str(done.body, "id") + "/content", tok);
    EXPECT_EQ(down.body, content);
  });
}

// onConflict=rename: a name taken after the session opened is exchanged for the next free one
// at the complete.
TEST_P(NameConflictSession, RenameAtCompleteTakesTheNextFreeName) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string user = env.user("lren"), tok = token_for(user);
    auto opened = co_await open_session(env, tok, "n.txt", "rename");
    EXPECT_EQ(opened.status, 201) << opened.body;
    EXPECT_EQ((co_await put_file(env, tok, "n.txt", "taken")).status, 201);
    auto done = co_await send_and_complete(env, tok, json_str(opened.body, "uploadId"), pattern_bytes(kSize, 6));
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_str(done.body, "name"), "n (1).txt");
    EXPECT_EQ(co_await account(env, user, "file_count"), 2);
    EXPECT_EQ(co_await env.reserved(user), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, NameConflictSession, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace sluice
