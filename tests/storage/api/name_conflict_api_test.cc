// End to end: unique live names on the streaming upload paths (PUT /v1/files/content and the
// form upload), on both stores: onConflict=fail refuses with 409 name_conflict before any body
// byte (nothing reserved, leased or slotted), replace leaves one live file with the new content
// and exact usage, rename numbers the name, and uploads racing for one name end with exactly one
// winner and nothing held by the loser.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::id_in;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;
using Env = testing::UploadEnv;

const std::string kBoundary = "------------------------5d1e9a8b7c6f";

struct Part {
  std::string name;
  std::optional<std::string> filename;
  std::string data;
};

Part field(std::string name, std::string value) { return Part{std::move(name), std::nullopt, std::move(value)}; }
Part file(std::string filename, std::string data) { return Part{"file", std::move(filename), std::move(data)}; }

std::string form(const std::vector<Part>& parts) {
  std::string out;
  for (const Part& p : parts) {
    out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) out += "; filename=\"" + *p.filename + "\"";
    out += "\r\n\r\n" + p.data + "\r\n";
  }
  return out + "--" + kBoundary + "--\r\n";
}

std::string name_of(const std::string& json, size_t from = 0) {
  auto at = json.find("\"name\":\"", from);
  if (at == std::string::npos) return "";
  at += 8;
  return json.substr(at, json.find('"', at) - at);
}

bool has(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

class NameConflict : public ::testing::TestWithParam<std::string> {
 protected:
  template <class F>
  void with_env(F test) {
    testing::with_upload_env(GetParam(), std::move(test));
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, NameConflict, ::testing::Values("local", "s3"), testing::store_name);

Task<RawResponse> put(Env& env, std::string tok, std::string query, std::string body) {
  auto r = co_await env.upload(std::move(tok), std::move(query), std::move(body));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  co_return r.ok() ? std::move(*r) : RawResponse{};
}

Task<RawResponse> post(Env& env, std::string tok, std::string body, std::string query = "") {
  std::string req = "POST /v1/files" + query + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                    "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  auto r = co_await env.call(std::move(req));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  co_return r.ok() ? std::move(*r) : RawResponse{};
}

Task<int64_t> account(Env& env, std::string user, std::string column) {
  co_return co_await env.scalar("SELECT " + column + " FROM sluice.accounts WHERE user_id = '" + user + "'");
}

// Sends `head` (a request's head, maybe with the start of its body) and reads the answer while
// the announced body is still owed: an answer here was given before the body.
Task<RawResponse> answer_before_body(Env& env, std::string head, int* slots_in_use) {
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  EXPECT_TRUE(c.ok());
  if (!c.ok()) co_return RawResponse{};
  (void)co_await (*c)->send(std::move(head));
  auto r = co_await (*c)->read_response(10s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  // While that connection is still open: no upload slot is held for it.
  std::string admin = token_for("ops-admin", auth::Role::admin);
  auto stats = co_await env.get(admin, "/v1/admin/concurrency");
  size_t at = stats.ok() ? stats->body.find("\"inUse\":") : std::string::npos;  // the totals come first
  *slots_in_use = at == std::string::npos ? -1 : std::atoi(stats->body.c_str() + at + 8);
  co_await (*c)->close();
  co_return r.ok() ? std::move(*r) : RawResponse{};
}

// ---------------------------------------------------------------- fail (the default)

TEST_P(NameConflict, PutRefusesATakenNameBeforeTheBody) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("alice"), tok = token_for(user);
    auto first = co_await put(env, tok, "path=%2Fdocs&name=a.txt", "first");
    EXPECT_EQ(first.status, 201) << first.body;
    std::string first_id = id_in(first.body);
    // 50 MiB announced, not one body byte sent.
    std::string head = "PUT /v1/files/content?path=%2Fdocs&name=a.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                       tok + "\r\nContent-Length: 52428800\r\n\r\n";
    int slots = -1;
    auto refused = co_await answer_before_body(env, head, &slots);
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"code\":\"name_conflict\"")) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"existingFileId\":\"" + first_id + "\"")) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"path\":\"/docs\"")) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"name\":\"a.txt\"")) << refused.body;
    EXPECT_EQ(slots, 0);
    // Nothing reserved, no row made, nothing leased; the first file untouched.
    EXPECT_EQ(co_await account(env, user, "reserved_bytes"), 0);
    EXPECT_EQ(co_await account(env, user, "reserved_files"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);
    EXPECT_EQ(co_await env.leases_of(user), 0);
    // The same with explicit onConflict=fail, and an unknown value is 400.
    auto again = co_await put(env, tok, "path=%2Fdocs&name=a.txt&onConflict=fail", "second");
    EXPECT_EQ(again.status, 409) << again.body;
    auto bad = co_await put(env, tok, "path=%2Fdocs&name=a.txt&onConflict=overwrite", "second");
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_TRUE(has(bad.body, "\"code\":\"invalid_request\"")) << bad.body;
    auto down = co_await env.get(tok, "/v1/files/" + first_id + "/content");
    EXPECT_EQ(down->body, "first");
    co_await env.expect_clean(user, 1);
  });
}

TEST_P(NameConflict, FormRefusesATakenNameBeforeTheFileBytes) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("forms"), tok = token_for(user);
    auto first = co_await put(env, tok, "path=%2Fp&name=b.bin", "bbb");
    EXPECT_EQ(first.status, 201) << first.body;
    // The fields and the file part's header, then a body still owed (10 MiB announced).
    std::string start = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/p\r\n--" +
                        kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\n";
    std::string head = "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                       "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                       "\r\nContent-Length: 10485760\r\n\r\n" + start;
    int slots = -1;
    auto refused = co_await answer_before_body(env, head, &slots);
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"code\":\"name_conflict\"")) << refused.body;
    EXPECT_TRUE(has(refused.body, "\"existingFileId\":\"" + id_in(first.body) + "\"")) << refused.body;
    EXPECT_EQ(slots, 0);
    EXPECT_EQ(co_await account(env, user, "reserved_bytes"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);
    // onConflict is checked before anything is read: as a query parameter and as a field.
    std::vector<Part> parts;
    parts.push_back(file("c.bin", "c"));
    auto bad_query = co_await post(env, tok, form(parts), "?onConflict=sometimes");
    EXPECT_EQ(bad_query.status, 400) << bad_query.body;
    std::vector<Part> bad_field;
    bad_field.push_back(field("onConflict", "Replace"));
    bad_field.push_back(file("c.bin", "c"));
    auto refused_field = co_await post(env, tok, form(bad_field));
    EXPECT_EQ(refused_field.status, 400) << refused_field.body;
    EXPECT_TRUE(has(refused_field.body, "\"code\":\"invalid_request\"")) << refused_field.body;
    co_await env.expect_clean(user, 1);
  });
}

// ---------------------------------------------------------------- replace

TEST_P(NameConflict, PutReplaceLeavesOneLiveFileWithTheNewContent) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("rep"), tok = token_for(user);
    auto other = co_await put(env, tok, "name=keep.txt", "kept");  // another file: untouched
    EXPECT_EQ(other.status, 201);
    auto old = co_await put(env, tok, "path=%2Fr&name=a.txt", "the old content");
    EXPECT_EQ(old.status, 201) << old.body;
    std::string old_id = id_in(old.body);
    std::string old_key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + old_id + "'");
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 4 + 15);
    auto fresh = co_await put(env, tok, "path=%2Fr&name=a.txt&onConflict=replace", "new!");
    EXPECT_EQ(fresh.status, 201) << fresh.body;
    std::string new_id = id_in(fresh.body);
    EXPECT_NE(new_id, old_id);
    EXPECT_EQ(name_of(fresh.body), "a.txt");
    // The old row and object are gone; usage = before - old + new; the count unchanged.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE id = '" + old_id + "'"), 0);
    auto head = co_await env.bucket->head(old_key);
    EXPECT_FALSE(head.ok()) << "the replaced object is still stored";
    EXPECT_EQ(co_await env.stored_objects(), 2);
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 4 + 4);
    EXPECT_EQ(co_await account(env, user, "file_count"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE owner = '" + user +
                                  "' AND path = '/r' AND name = 'a.txt'"),
              1);
    auto down = co_await env.get(tok, "/v1/files/" + new_id + "/content");
    EXPECT_EQ(down->body, "new!");
    auto gone = co_await env.get(tok, "/v1/files/" + old_id);
    EXPECT_EQ(gone->status, 404);
    // Events: file.deleted for the old file, file.uploaded for each upload.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.deleted'"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.deleted' AND aggregate_id = '" +
                                  old_id + "'"),
              1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 3);
    // replace of a free name is an ordinary upload.
    auto free_name = co_await put(env, tok, "path=%2Fr&name=z.txt&onConflict=replace", "z");
    EXPECT_EQ(free_name.status, 201) << free_name.body;
    EXPECT_EQ(co_await account(env, user, "file_count"), 3);
    co_await env.expect_clean(user, 3);
  });
}

TEST_P(NameConflict, FormReplaceAndRenameFollowTheField) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("formrep"), tok = token_for(user);
    auto old = co_await put(env, tok, "name=f.txt", "0123456789");
    EXPECT_EQ(old.status, 201);
    std::string old_id = id_in(old.body);
    // replace from the query for the first file, then the field switches to rename.
    std::vector<Part> parts;
    parts.push_back(file("f.txt", "abc"));
    parts.push_back(field("onConflict", "rename"));
    parts.push_back(file("f.txt", "de"));
    parts.push_back(file("f.txt", "f"));
    auto r = co_await post(env, tok, form(parts), "?onConflict=replace");
    EXPECT_EQ(r.status, 201) << r.body;
    size_t second = r.body.find("},{");
    size_t third = r.body.find("},{", second + 1);
    EXPECT_EQ(name_of(r.body), "f.txt");
    EXPECT_EQ(name_of(r.body, second), "f (1).txt");
    EXPECT_EQ(name_of(r.body, third), "f (2).txt");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE id = '" + old_id + "'"), 0);
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 3 + 2 + 1);
    EXPECT_EQ(co_await account(env, user, "file_count"), 3);
    auto down = co_await env.get(tok, "/v1/files/" + id_in(r.body) + "/content");
    EXPECT_EQ(down->body, "abc");
    co_await env.expect_clean(user, 3);
  });
}

// ---------------------------------------------------------------- rename

TEST_P(NameConflict, PutRenameNumbersTheName) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("ren"), tok = token_for(user);
    std::vector<std::string> names;
    for (int i = 0; i < 3; ++i) {
      auto r = co_await put(env, tok, "name=a.txt&onConflict=rename", std::string(static_cast<size_t>(i + 1), 'x'));
      EXPECT_EQ(r.status, 201) << r.body;
      names.push_back(name_of(r.body));
    }
    EXPECT_EQ(names.size(), 3u);
    if (names.size() != 3u) co_return;
    EXPECT_EQ(names[0], "a.txt");
    EXPECT_EQ(names[1], "a (1).txt");
    EXPECT_EQ(names[2], "a (2).txt");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'available' AND name = 'a (2).txt'"),
              1);
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 6);
    EXPECT_EQ(co_await account(env, user, "file_count"), 3);
    co_await env.expect_clean(user, 3);
  });
}

// ---------------------------------------------------------------- races for one name

// Uploads of one name, all admitted (their heads sent first), then their bodies in turn.
Task<std::vector<RawResponse>> race(Env& env, std::string user, std::string query, std::vector<std::string> bodies) {
  std::string tok = token_for(user);
  std::vector<std::unique_ptr<RawHttpClient>> conns;
  for (const std::string& body : bodies) {
    auto c = co_await RawHttpClient::connect(env.r, env.port());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return std::vector<RawResponse>();
    std::string head = "PUT /v1/files/content?" + query + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                       "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    (void)co_await (*c)->send(std::move(head));
    conns.push_back(std::move(*c));
  }
  // Both admitted: both reservations held before either body is sent.
  int64_t held = 0;
  for (int i = 0; i < 500 && held < static_cast<int64_t>(bodies.size()); ++i) {
    held = co_await account(env, user, "reserved_files");
    if (held < static_cast<int64_t>(bodies.size())) co_await SleepUntil(env.r, deadline_after(5ms));
  }
  EXPECT_EQ(held, static_cast<int64_t>(bodies.size()));
  std::vector<RawResponse> out;
  for (size_t i = 0; i < bodies.size(); ++i) {
    (void)co_await conns[i]->send(bodies[i]);
    auto r = co_await conns[i]->read_response(20s);
    EXPECT_TRUE(r.ok());
    out.push_back(r.ok() ? std::move(*r) : RawResponse{});
    co_await conns[i]->close();
  }
  co_return out;
}

TEST_P(NameConflict, RacingUploadsOfOneNameHaveOneWinner) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("race");  // the free tier allows two uploads at once
    std::vector<std::string> bodies;
    bodies.push_back("11111");
    bodies.push_back("2222222");
    auto r = co_await race(env, user, "name=same.txt", bodies);
    EXPECT_EQ(r.size(), 2u);
    if (r.size() != 2u) co_return;
    EXPECT_EQ(r[0].status, 201) << r[0].body;
    EXPECT_EQ(r[1].status, 409) << r[1].body;
    EXPECT_TRUE(has(r[1].body, "\"code\":\"name_conflict\"")) << r[1].body;
    EXPECT_FALSE(has(r[1].body, "duplicate key")) << "the database's words leaked: " << r[1].body;
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 5);
    EXPECT_EQ(co_await account(env, user, "file_count"), 1);
    co_await env.expect_clean(user, 1);  // the loser's object deleted, reservation and lease back
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 1);
  });
}

TEST_P(NameConflict, RacingRenamesTakeTheNextFreeNameAtCommit) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("racern");
    std::vector<std::string> bodies;
    bodies.push_back("aa");
    bodies.push_back("bbb");
    auto r = co_await race(env, user, "name=r.txt&onConflict=rename", bodies);
    EXPECT_EQ(r.size(), 2u);
    if (r.size() != 2u) co_return;
    EXPECT_EQ(r[0].status, 201) << r[0].body;
    EXPECT_EQ(r[1].status, 201) << r[1].body;
    EXPECT_EQ(name_of(r[0].body), "r.txt");
    EXPECT_EQ(name_of(r[1].body), "r (1).txt");
    EXPECT_EQ(co_await env.text("SELECT name FROM sluice.files WHERE id = '" + id_in(r[1].body) + "'"), "r (1).txt");
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 5);
    EXPECT_EQ(co_await account(env, user, "file_count"), 2);
    co_await env.expect_clean(user, 2);
  });
}

TEST_P(NameConflict, RacingReplacesLeaveTheLastOne) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("racerep"), tok = token_for(user);
    auto old = co_await put(env, tok, "name=x.txt", "old");
    EXPECT_EQ(old.status, 201);
    std::vector<std::string> bodies;
    bodies.push_back("first!");
    bodies.push_back("second!!");
    auto r = co_await race(env, user, "name=x.txt&onConflict=replace", bodies);
    EXPECT_EQ(r.size(), 2u);
    if (r.size() != 2u) co_return;
    EXPECT_EQ(r[0].status, 201) << r[0].body;
    EXPECT_EQ(r[1].status, 201) << r[1].body;
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);
    EXPECT_EQ(co_await env.text("SELECT id::text FROM sluice.files WHERE status = 'available'"), id_in(r[1].body));
    EXPECT_EQ(co_await account(env, user, "used_bytes"), 8);
    EXPECT_EQ(co_await account(env, user, "file_count"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.deleted'"), 2);
    auto down = co_await env.get(tok, "/v1/files/" + id_in(r[1].body) + "/content");
    EXPECT_EQ(down->body, "second!!");
    co_await env.expect_clean(user, 1);
  });
}

// ---------------------------------------------------------------- scope of a name

TEST_P(NameConflict, OtherFoldersAndOtherUsersDoNotConflict) {
  with_env([](Env& env) -> Task<void> {
    std::string alice = env.user("alice"), bob = env.user("bob");
    std::string ta = token_for(alice), tb = token_for(bob);
    EXPECT_EQ((co_await put(env, ta, "name=n.txt", "1")).status, 201);
    EXPECT_EQ((co_await put(env, ta, "path=%2Fsub&name=n.txt", "2")).status, 201);
    EXPECT_EQ((co_await put(env, ta, "path=%2Fsub%2Fdeeper&name=n.txt", "3")).status, 201);
    EXPECT_EQ((co_await put(env, tb, "name=n.txt", "4")).status, 201);
    EXPECT_EQ((co_await put(env, ta, "name=N.txt", "5")).status, 201);  // names compare exactly
    EXPECT_EQ((co_await put(env, tb, "name=n.txt", "6")).status, 409);
    // A failed upload does not hold its name.
    auto failed = co_await env.upload(ta, "name=m.txt", "abc", "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n");
    EXPECT_EQ(failed->status, 400) << failed->body;
    EXPECT_EQ((co_await put(env, ta, "name=m.txt", "abc")).status, 201);
    co_await env.expect_clean(alice, 6);  // alice's five and bob's one
  });
}

}  // namespace
}  // namespace sluice
