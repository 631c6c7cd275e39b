// End to end: share links (local store and moto). The owner's create, list, change and revoke;
// public metadata and content (Range, conditional, nosniff, no-store) with downloads counted
// from byte 0 and the limit held under 50 racing downloads; passwords (Argon2id on the worker
// pool), unlock access tokens revoked by a password change, wrong-password limits per token
// and per address; expiry; trash and restore; events; the token never stored or logged in clear.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "storage/service/shares/share_token.h"
#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::error_code;
using testing::json_int;
using testing::json_str;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;
using testing::with_mpu_env;

const std::string kUrlSecret = "share-test-url-secret-0123456789abcdef";

class ShareApi : public ::testing::TestWithParam<std::string> {
 protected:
  template <class F>
  void with_env(F test) {
    with_mpu_env(GetParam(), std::move(test), [](ServiceConfig& c) { c.url_secret = kUrlSecret; });
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, ShareApi, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

struct Stored {
  std::string id, etag;
};

Task<Stored> put_file(MpuEnv& env, std::string tok, std::string name, std::string body, std::string type) {
  std::string extra = "Content-Type: " + type + "\r\n";
  auto up = co_await env.req("PUT", "/v1/files/content?name=" + name, tok, std::move(body), std::move(extra));
  EXPECT_EQ(up.status, 201) << up.body;
  Stored s;
  s.id = json_str(up.body, "id");
  s.etag = json_str(up.body, "etag");
  co_return s;
}

struct Made {
  int status = 0;
  std::string id, token, body;
};

Task<Made> make_share(MpuEnv& env, std::string tok, std::string file_id, std::string json = "{}") {
  auto r = co_await env.req("POST", "/v1/files/" + file_id + "/shares", tok, std::move(json),
                            "Content-Type: application/json\r\n");
  Made m;
  m.status = r.status;
  m.body = r.body;
  m.id = json_str(r.body, "id");
  m.token = json_str(r.body, "token");
  co_return m;
}

Task<RawResponse> pub(MpuEnv& env, std::string path, std::string extra = "") {
  co_return co_await env.req("GET", std::move(path), "", "", std::move(extra));
}

Task<RawResponse> head(MpuEnv& env, std::string path) {
  RawResponse out;
  out.status = -1;
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  if (!c.ok()) co_return out;
  std::string req = "HEAD " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
  (void)co_await (*c)->send(std::move(req));
  auto r = co_await (*c)->read_response(10s, true);
  co_await (*c)->close();
  if (r.ok()) out = std::move(*r);
  co_return out;
}

Task<RawResponse> unlock(MpuEnv& env, std::string token, std::string password) {
  std::string body = "{\"password\":\"" + password + "\"}";
  co_return co_await env.req("POST", "/public/v1/shares/" + token + "/unlock", "", std::move(body),
                             "Content-Type: application/json\r\n");
}

std::string iso_in(int64_t seconds) {
  time_t t = time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// ---------------------------------------------------------------- owner side

TEST_P(ShareApi, CreateListChangeRevoke) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    std::string bob = token_for(env.user("bob"));
    Stored f = co_await put_file(env, ann, "report.pdf", "pdf bytes", "application/pdf");
    std::string expires = iso_in(3600);
    Made m = co_await make_share(env, ann, f.id,
                                 "{\"expiresAt\":\"" + expires + "\",\"maxDownloads\":3,\"note\":\"for the board\"}");
    EXPECT_EQ(m.status, 201) << m.body;
    EXPECT_EQ(m.token.size(), 43u);  // 256 bits, base64url
    EXPECT_EQ(json_str(m.body, "url"), "http://sluice.test/public/v1/shares/" + m.token);
    EXPECT_EQ(json_str(m.body, "fileId"), f.id);
    EXPECT_EQ(json_int(m.body, "maxDownloads"), 3);
    EXPECT_EQ(json_int(m.body, "downloadCount"), 0);
    EXPECT_NE(m.body.find("\"allowDownload\":true"), std::string::npos);
    EXPECT_NE(m.body.find("\"passwordRequired\":false"), std::string::npos);
    EXPECT_EQ(json_str(m.body, "note"), "for the board");
    EXPECT_EQ(json_str(m.body, "expiresAt").substr(0, 19), expires.substr(0, 19));
    EXPECT_NE(m.body.find("\"lastAccessedAt\":null"), std::string::npos);

    // Lists: never the token.
    auto of_file = co_await env.req("GET", "/v1/files/" + f.id + "/shares", ann);
    EXPECT_EQ(of_file.status, 200);
    EXPECT_NE(of_file.body.find(m.id), std::string::npos);
    EXPECT_EQ(of_file.body.find(m.token), std::string::npos);
    EXPECT_EQ(of_file.body.find("\"token\""), std::string::npos);
    Made m2 = co_await make_share(env, ann, f.id);
    Made m3 = co_await make_share(env, ann, f.id);
    auto p1 = co_await env.req("GET", "/v1/shares?limit=2", ann);
    EXPECT_EQ(p1.status, 200);
    std::string cursor = json_str(p1.body, "nextCursor");
    EXPECT_FALSE(cursor.empty());
    EXPECT_NE(p1.body.find(m3.id), std::string::npos);
    EXPECT_NE(p1.body.find(m2.id), std::string::npos);
    auto p2 = co_await env.req("GET", "/v1/shares?limit=2&cursor=" + cursor, ann);
    EXPECT_EQ(p2.status, 200);
    EXPECT_NE(p2.body.find(m.id), std::string::npos);
    EXPECT_NE(p2.body.find("\"nextCursor\":null"), std::string::npos);
    EXPECT_EQ((co_await env.req("GET", "/v1/shares?limit=0", ann)).status, 400);
    EXPECT_EQ((co_await env.req("GET", "/v1/shares?cursor=zzz", ann)).status, 400);

    // Others' files and shares do not exist for bob.
    Made theirs = co_await make_share(env, bob, f.id);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(error_code(theirs.body), "not_found");
    EXPECT_EQ((co_await env.req("GET", "/v1/files/" + f.id + "/shares", bob)).status, 404);
    auto bob_list = co_await env.req("GET", "/v1/shares", bob);
    EXPECT_EQ(bob_list.body, "{\"items\":[],\"nextCursor\":null}");
    EXPECT_EQ((co_await env.req("PATCH", "/v1/shares/" + m.id, bob, "{\"note\":\"x\"}")).status, 404);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + m.id, bob)).status, 404);
    EXPECT_EQ((co_await env.req("POST", "/v1/files/" + f.id + "/shares", "", "{}")).status, 401);

    // PATCH: each field; bad values refused.
    auto ch = co_await env.req("PATCH", "/v1/shares/" + m.id, ann,
                               "{\"expiresAt\":null,\"maxDownloads\":null,\"allowDownload\":false,\"note\":\"n2\"}");
    EXPECT_EQ(ch.status, 200) << ch.body;
    EXPECT_NE(ch.body.find("\"expiresAt\":null"), std::string::npos);
    EXPECT_NE(ch.body.find("\"maxDownloads\":null"), std::string::npos);
    EXPECT_NE(ch.body.find("\"allowDownload\":false"), std::string::npos);
    EXPECT_EQ(json_str(ch.body, "note"), "n2");
    auto bad = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"maxDownloads\":0}");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(error_code(bad.body), "invalid_max_downloads");
    auto past = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}");
    EXPECT_EQ(past.status, 400);
    EXPECT_EQ(error_code(past.body), "invalid_expiry");

    // DELETE revokes: 204, then gone from lists and the public routes; a second DELETE is 404.
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + m2.id, ann)).status, 204);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + m2.id, ann)).status, 404);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + m2.token)).status, 404);
    auto after = co_await env.req("GET", "/v1/files/" + f.id + "/shares", ann);
    EXPECT_EQ(after.body.find(m2.id), std::string::npos);

    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'share.created'"), 3);
    EXPECT_EQ(co_await env.scalar(
                  "SELECT count(*) FROM sluice.events WHERE kind = 'share.revoked' AND aggregate_id = '" + m2.id + "'"),
              1);
  });
}

// API keys: writes need shares:write, reads files:read.
TEST_P(ShareApi, ScopesOfApiKeys) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "a.txt", "hello", "text/plain");
    auto reader = co_await env.req("POST", "/v1/keys", ann, "{\"name\":\"r\",\"scopes\":[\"files:read\"]}",
                                   "Content-Type: application/json\r\n");
    auto writer = co_await env.req("POST", "/v1/keys", ann, "{\"name\":\"w\",\"scopes\":[\"shares:write\"]}",
                                   "Content-Type: application/json\r\n");
    EXPECT_EQ(reader.status, 201);
    EXPECT_EQ(writer.status, 201);
    std::string rk = json_str(reader.body, "key");
    std::string wk = json_str(writer.body, "key");
    Made refused = co_await make_share(env, rk, f.id);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(error_code(refused.body), "insufficient_scope");
    Made made = co_await make_share(env, wk, f.id);
    EXPECT_EQ(made.status, 201) << made.body;
    EXPECT_EQ((co_await env.req("GET", "/v1/shares", wk)).status, 403);
    EXPECT_EQ((co_await env.req("GET", "/v1/shares", rk)).status, 200);
    EXPECT_EQ((co_await env.req("GET", "/v1/files/" + f.id + "/shares", rk)).status, 200);
    EXPECT_EQ((co_await env.req("PATCH", "/v1/shares/" + made.id, rk, "{\"note\":\"x\"}")).status, 403);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + made.id, rk)).status, 403);
    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + made.id, wk)).status, 204);
  });
}

// ---------------------------------------------------------------- public side

TEST_P(ShareApi, PublicMetadataAndContentCountFromByteZero) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    std::string body = pattern_bytes(1000, 7);
    Stored f = co_await put_file(env, ann, "photo.png", body, "image/png");
    Made m = co_await make_share(env, ann, f.id, "{\"maxDownloads\":5}");
    std::string base = "/public/v1/shares/" + m.token;

    auto meta = co_await pub(env, base);
    EXPECT_EQ(meta.status, 200) << meta.body;
    EXPECT_EQ(json_str(meta.body, "name"), "photo.png");
    EXPECT_EQ(json_int(meta.body, "size"), 1000);
    EXPECT_EQ(json_str(meta.body, "contentType"), "image/png");
    EXPECT_EQ(json_int(meta.body, "downloadsLeft"), 5);
    EXPECT_EQ(meta.body.find(env.user("ann")), std::string::npos);  // never the owner
    EXPECT_EQ(meta.body.find("path"), std::string::npos);
    EXPECT_EQ(meta.body.find("\"id\""), std::string::npos);
    EXPECT_EQ(meta.header("cache-control"), "private, no-store");

    auto whole = co_await pub(env, base + "/content");  // counts (1)
    EXPECT_EQ(whole.status, 200);
    EXPECT_TRUE(whole.body == body);
    EXPECT_EQ(whole.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(whole.header("cache-control"), "private, no-store");
    EXPECT_NE(whole.header("content-disposition").find("photo.png"), std::string::npos);
    EXPECT_EQ(whole.header("etag"), "\"" + f.etag + "\"");

    auto first = co_await pub(env, base + "/content", "Range: bytes=0-9\r\n");  // counts (2)
    EXPECT_EQ(first.status, 206);
    EXPECT_TRUE(first.body == body.substr(0, 10));
    auto later = co_await pub(env, base + "/content", "Range: bytes=10-19\r\n");  // does not
    EXPECT_EQ(later.status, 206);
    EXPECT_TRUE(later.body == body.substr(10, 10));
    auto cached = co_await pub(env, base + "/content", "If-None-Match: \"" + f.etag + "\"\r\n");  // does not
    EXPECT_EQ(cached.status, 304);
    auto h = co_await head(env, base + "/content");  // does not
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.header("content-length"), "1000");
    auto outside = co_await pub(env, base + "/content", "Range: bytes=5000-\r\n");  // does not
    EXPECT_EQ(outside.status, 416);

    EXPECT_EQ(co_await env.scalar("SELECT download_count FROM sluice.shares WHERE id = '" + m.id + "'"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'share.accessed'"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.shares WHERE last_accessed_at IS NOT NULL"), 1);
    auto meta2 = co_await pub(env, base);
    EXPECT_EQ(json_int(meta2.body, "downloadsLeft"), 3);
    auto owner_view = co_await env.req("GET", "/v1/shares", ann);
    EXPECT_NE(owner_view.body.find("\"downloadCount\":2"), std::string::npos);
    EXPECT_EQ(owner_view.body.find("\"lastAccessedAt\":null"), std::string::npos);

    // One 404 body for every unknown token.
    auto unknown = co_await pub(env, "/public/v1/shares/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(error_code(unknown.body), "not_found");
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/x/content")).status, 404);
  });
}

TEST_P(ShareApi, FiftyRacingDownloadsOfTenAllowed) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    std::string body = pattern_bytes(4096, 9);
    Stored f = co_await put_file(env, ann, "d.bin", body, "application/octet-stream");
    Made m = co_await make_share(env, ann, f.id, "{\"maxDownloads\":10}");
    std::string path = "/public/v1/shares/" + m.token + "/content";
    int ok = 0, gone = 0, other = 0;
    TaskGroup group;
    for (int i = 0; i < 50; ++i) {
      spawn(
          [](MpuEnv& e, std::string p, std::string want, int& o, int& g, int& x) -> Task<void> {
            auto r = co_await e.req("GET", std::move(p), "");
            if (r.status == 200 && r.body == want) ++o;
            else if (r.status == 410 && error_code(r.body) == "download_limit_reached") ++g;
            else ++x;
          }(env, path, body, ok, gone, other),
          &group);
    }
    co_await group.wait();
    EXPECT_EQ(ok, 10);
    EXPECT_EQ(gone, 40);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(co_await env.scalar("SELECT download_count FROM sluice.shares WHERE id = '" + m.id + "'"), 10);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'share.accessed'"), 10);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + m.token)).status, 410);
    // Raising the limit brings it back; lowering it below the count is refused.
    auto low = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"maxDownloads\":5}");
    EXPECT_EQ(low.status, 409);
    auto up = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"maxDownloads\":11}");
    EXPECT_EQ(up.status, 200);
    EXPECT_EQ((co_await pub(env, path)).status, 200);
    EXPECT_EQ((co_await pub(env, path)).status, 410);
  });
}

TEST_P(ShareApi, MetadataOnlyShareRefusesContent) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "a.txt", "hello", "text/plain");
    Made m = co_await make_share(env, ann, f.id, "{\"allowDownload\":false}");
    auto meta = co_await pub(env, "/public/v1/shares/" + m.token);
    EXPECT_EQ(meta.status, 200);
    EXPECT_NE(meta.body.find("\"allowDownload\":false"), std::string::npos);
    auto c = co_await pub(env, "/public/v1/shares/" + m.token + "/content");
    EXPECT_EQ(c.status, 403);
    EXPECT_EQ(error_code(c.body), "download_not_allowed");
    auto ch = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"allowDownload\":true}");
    EXPECT_EQ(ch.status, 200);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + m.token + "/content")).status, 200);
  });
}

TEST_P(ShareApi, ExpiredRevokedTrashedAreOneNotFound) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "a.txt", "hello", "text/plain");
    Made live = co_await make_share(env, ann, f.id);
    Made old = co_await make_share(env, ann, f.id, "{\"expiresAt\":\"" + iso_in(3600) + "\"}");
    Made gone = co_await make_share(env, ann, f.id);
    auto unknown = co_await pub(env, "/public/v1/shares/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(unknown.status, 404);

    // Expiry: the clock is the database's; move the share's expiry into the past.
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + old.token)).status, 200);
    (void)co_await env.scalar(
        "WITH u AS (UPDATE sluice.shares SET expires_at = now() - interval '1 second' WHERE id = '" + old.id +
        "' RETURNING 1) SELECT count(*) FROM u");
    auto expired = co_await pub(env, "/public/v1/shares/" + old.token);
    EXPECT_EQ(expired.status, 404);
    EXPECT_EQ(expired.body, unknown.body);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + old.token + "/content")).status, 404);
    // A new expiry brings it back.
    auto later = co_await env.req("PATCH", "/v1/shares/" + old.id, ann, "{\"expiresAt\":\"" + iso_in(60) + "\"}");
    EXPECT_EQ(later.status, 200);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + old.token)).status, 200);

    EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + gone.id, ann)).status, 204);
    auto revoked = co_await pub(env, "/public/v1/shares/" + gone.token + "/content");
    EXPECT_EQ(revoked.status, 404);
    EXPECT_EQ(revoked.body, unknown.body);

    // Trash: the share stops working (and a trashed file cannot be shared: 409); restore: back.
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + f.id, ann)).status, 204);
    auto trashed = co_await pub(env, "/public/v1/shares/" + live.token);
    EXPECT_EQ(trashed.status, 404);
    EXPECT_EQ(trashed.body, unknown.body);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + live.token + "/content")).status, 404);
    Made on_trashed = co_await make_share(env, ann, f.id);
    EXPECT_EQ(on_trashed.status, 409);
    EXPECT_EQ(error_code(on_trashed.body), "conflict");
    auto restored = co_await env.req("POST", "/v1/files/" + f.id + "/restore", ann);
    EXPECT_EQ(restored.status, 200) << restored.body;
    auto back = co_await pub(env, "/public/v1/shares/" + live.token + "/content");
    EXPECT_EQ(back.status, 200);
    EXPECT_EQ(back.body, "hello");
    // Purged: gone for good.
    EXPECT_EQ((co_await env.req("DELETE", "/v1/files/" + f.id + "?permanent=true", ann)).status / 100, 2);
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + live.token)).status, 404);
  });
}

// ---------------------------------------------------------------- passwords

TEST_P(ShareApi, PasswordUnlockAndPasswordChangeRevokesAccess) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "secret.txt", "the secret", "text/plain");
    Made m = co_await make_share(env, ann, f.id, "{\"password\":\"correct horse\"}");
    EXPECT_EQ(m.status, 201) << m.body;
    EXPECT_NE(m.body.find("\"passwordRequired\":true"), std::string::npos);
    std::string stored = co_await env.text("SELECT password_hash FROM sluice.shares WHERE id = '" + m.id + "'");
    EXPECT_EQ(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << stored;
    std::string base = "/public/v1/shares/" + m.token;

    auto locked = co_await pub(env, base);
    EXPECT_EQ(locked.status, 200);
    EXPECT_EQ(locked.body, "{\"passwordRequired\":true,\"expiresAt\":null}");
    auto no = co_await pub(env, base + "/content");
    EXPECT_EQ(no.status, 401);
    EXPECT_EQ(error_code(no.body), "password_required");

    auto wrong = co_await unlock(env, m.token, "wrong");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(error_code(wrong.body), "wrong_password");
    EXPECT_TRUE(wrong.header("retry-after").empty());
    auto right = co_await unlock(env, m.token, "correct horse");
    EXPECT_EQ(right.status, 200) << right.body;
    std::string access = json_str(right.body, "accessToken");
    EXPECT_FALSE(access.empty());
    EXPECT_FALSE(json_str(right.body, "expiresAt").empty());

    auto by_header = co_await pub(env, base + "/content", "X-Share-Access: " + access + "\r\n");
    EXPECT_EQ(by_header.status, 200);
    EXPECT_EQ(by_header.body, "the secret");
    auto by_query = co_await pub(env, base + "/content?access=" + access);
    EXPECT_EQ(by_query.status, 200);
    auto meta = co_await pub(env, base, "X-Share-Access: " + access + "\r\n");
    EXPECT_EQ(json_str(meta.body, "name"), "secret.txt");
    auto forged = co_await pub(env, base + "/content", "X-Share-Access: " + access + "x\r\n");
    EXPECT_EQ(forged.status, 401);
    // Another share's access token does not open this one.
    Made other = co_await make_share(env, ann, f.id, "{\"password\":\"correct horse\"}");
    auto other_access =
        co_await pub(env, "/public/v1/shares/" + other.token + "/content", "X-Share-Access: " + access + "\r\n");
    EXPECT_EQ(other_access.status, 401);

    // A new password: the old access token stops working; the new password unlocks.
    auto ch = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"password\":\"battery staple\"}");
    EXPECT_EQ(ch.status, 200) << ch.body;
    EXPECT_EQ((co_await pub(env, base + "/content", "X-Share-Access: " + access + "\r\n")).status, 401);
    EXPECT_EQ((co_await unlock(env, m.token, "correct horse")).status, 401);
    auto again = co_await unlock(env, m.token, "battery staple");
    EXPECT_EQ(again.status, 200);
    std::string access2 = json_str(again.body, "accessToken");
    EXPECT_EQ((co_await pub(env, base + "/content", "X-Share-Access: " + access2 + "\r\n")).status, 200);
    // Removing the password opens it to anyone with the link (and ends old tokens' meaning).
    auto open = co_await env.req("PATCH", "/v1/shares/" + m.id, ann, "{\"password\":null}");
    EXPECT_NE(open.body.find("\"passwordRequired\":false"), std::string::npos);
    EXPECT_EQ((co_await pub(env, base + "/content")).status, 200);
  });
}

TEST_P(ShareApi, WrongPasswordsAreLimitedPerTokenAndPerAddress) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "s.txt", "x", "text/plain");
    Made m = co_await make_share(env, ann, f.id, "{\"password\":\"pw-1\"}");
    Made m2 = co_await make_share(env, ann, f.id, "{\"password\":\"pw-2\"}");
    // A right password is not held against anyone.
    for (int i = 0; i < 6; ++i) EXPECT_EQ((co_await unlock(env, m.token, "pw-1")).status, 200);
    for (int i = 0; i < 5; ++i) {
      auto r = co_await unlock(env, m.token, "guess" + std::to_string(i));
      EXPECT_EQ(r.status, 401);
      EXPECT_TRUE(r.header("retry-after").empty());
    }
    // The sixth attempt in the minute is refused before any check, even with the right password.
    auto limited = co_await unlock(env, m.token, "pw-1");
    EXPECT_EQ(limited.status, 401);
    EXPECT_EQ(error_code(limited.body), "wrong_password");
    int retry = std::atoi(limited.header("retry-after").c_str());
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 60);
    // Per address: the same client is limited on another share too.
    auto elsewhere = co_await unlock(env, m2.token, "pw-2");
    EXPECT_EQ(elsewhere.status, 401);
    EXPECT_FALSE(elsewhere.header("retry-after").empty());
    // Per token: from a fresh address window (simulated by clearing the address row), this token is still limited.
    (void)co_await env.scalar(
        "WITH d AS (DELETE FROM sluice.share_unlock_attempts WHERE subject LIKE 'a:%' RETURNING 1) SELECT count(*) "
        "FROM d");
    auto still = co_await unlock(env, m.token, "pw-1");
    EXPECT_EQ(still.status, 401);
    EXPECT_FALSE(still.header("retry-after").empty());
    EXPECT_EQ((co_await unlock(env, m2.token, "pw-2")).status, 200);
    // The window passes: attempts are allowed again.
    (void)co_await env.scalar(
        "WITH u AS (UPDATE sluice.share_unlock_attempts SET window_start = now() - interval '61 seconds' RETURNING 1) "
        "SELECT count(*) FROM u");
    EXPECT_EQ((co_await unlock(env, m.token, "pw-1")).status, 200);
  });
}

// ---------------------------------------------------------------- the token in clear

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST_P(ShareApi, TokenNeverInTheLogOrTheDatabase) {
  std::vector<std::string> tokens;
  std::vector<std::string> dumps;
  ::testing::internal::CaptureStderr();
  with_env([&tokens, &dumps](MpuEnv& env) -> Task<void> {
    std::string ann = token_for(env.user("ann"));
    Stored f = co_await put_file(env, ann, "t.txt", "text", "text/plain");
    Made m = co_await make_share(env, ann, f.id, "{\"maxDownloads\":1}");
    Made p = co_await make_share(env, ann, f.id, "{\"password\":\"pw\"}");
    tokens.push_back(m.token);
    tokens.push_back(p.token);
    // Every path the token takes: metadata, content, a 410, unlock (wrong and right), a revoke.
    (void)co_await pub(env, "/public/v1/shares/" + m.token);
    (void)co_await pub(env, "/public/v1/shares/" + m.token + "/content");
    EXPECT_EQ((co_await pub(env, "/public/v1/shares/" + m.token + "/content")).status, 410);
    (void)co_await unlock(env, p.token, "nope");
    auto u = co_await unlock(env, p.token, "pw");
    (void)co_await pub(env, "/public/v1/shares/" + p.token + "/content?access=" + json_str(u.body, "accessToken"));
    (void)co_await env.req("DELETE", "/v1/shares/" + m.id, ann);
    EXPECT_EQ(co_await env.text("SELECT token_hash FROM sluice.shares WHERE id = '" + m.id + "'"),
              service::share_token_hash(m.token));
    for (const std::string& t : tokens) {
      for (const char* table : {"shares", "events", "share_unlock_attempts", "files", "accounts"}) {
        std::string sql =
            std::string("SELECT count(*) FROM sluice.") + table + " x WHERE strpos(x::text, '" + t + "') > 0";
        EXPECT_EQ(co_await env.scalar(sql), 0) << table;
      }
    }
    dumps.push_back(run_capture("pg_dump --data-only '" + env.config.pg_url + "' 2>&1"));
  });
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(tokens.size(), 2u);
  ASSERT_EQ(dumps.size(), 1u);
  EXPECT_NE(dumps[0].find("share_unlock_attempts"), std::string::npos) << dumps[0].substr(0, 500);
  for (const std::string& t : tokens) {
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(log.find(t), std::string::npos) << "token in the log";
    EXPECT_EQ(dumps[0].find(t), std::string::npos) << "token in pg_dump";
    EXPECT_NE(dumps[0].find(service::share_token_hash(t)), std::string::npos);  // the dump did see the rows
  }
}

}  // namespace
}  // namespace sluice
