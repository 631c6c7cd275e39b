// End to end: API keys through the HTTP API on real PostgreSQL and Redis: a key created with a
// token uploads and reads back files, wrong secrets and revoked keys get 401 (revocation at once
// on the serving core), listings carry no secrets, and other users' keys do not exist.
#include <gtest/gtest.h>

#include "storage/service/auth/api_key.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using testing::json_field;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

struct CreatedKey {
  int status = 0;
  std::string id, key, prefix, body;
};

Task<CreatedKey> create_key(ServiceEnv& env, std::string token, std::string body) {
  RawResponse r =
      co_await env.request("POST", "/v1/keys", std::move(token), std::move(body), "Content-Type: application/json\r\n");
  CreatedKey k;
  k.status = r.status;
  k.body = r.body;
  k.id = json_field(r.body, "id");
  k.key = json_field(r.body, "key");
  k.prefix = json_field(r.body, "prefix");
  co_return k;
}

TEST(KeyRoutes, KeyUploadsAndReadsBack) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string alice = env.user("alice");
    CreatedKey k =
        co_await create_key(env, token_for(alice), R"({"name":"ci","scopes":["files:read","files:write"]})");
    EXPECT_EQ(k.status, 201) << k.body;
    EXPECT_TRUE(k.key.starts_with("sk_" + k.prefix + "_")) << k.body;
    EXPECT_EQ(k.key.size(), auth::kApiKeyChars);
    EXPECT_NE(k.body.find("\"name\":\"ci\""), std::string::npos);
    EXPECT_NE(k.body.find("\"scopes\":[\"files:read\",\"files:write\"]"), std::string::npos);
    EXPECT_FALSE(json_field(k.body, "createdAt").empty());
    // Only the hash is stored.
    auto parsed = auth::parse_api_key(k.key);
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) co_return;
    EXPECT_EQ(co_await env.text("SELECT secret_hash FROM sluice.api_keys WHERE id = '" + k.id + "'"),
              auth::hash_api_key_secret(parsed->secret));
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE secret_hash = '" + parsed->secret +
                                  "' OR name = '" + parsed->secret + "'"),
              0);

    std::string body = "bytes uploaded with an API key";
    RawResponse up = co_await env.upload(k.key, "keyed.txt", body);
    EXPECT_EQ(up.status, 201) << up.body;
    std::string file_id = json_field(up.body, "id");
    EXPECT_EQ(json_field(up.body, "owner"), alice);
    RawResponse down = co_await env.request("GET", "/v1/files/" + file_id + "/content", k.key);
    EXPECT_EQ(down.status, 200);
    EXPECT_EQ(down.body, body);
    // The same user with a token sees the file too: the key acts as its owner.
    EXPECT_EQ((co_await env.request("GET", "/v1/files/" + file_id, token_for(alice))).status, 200);
    // last_used_at is written in the background, once.
    for (int i = 0; i < 200; ++i) {
      if (co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE last_used_at IS NOT NULL") == 1) break;
      co_await SleepUntil(env.r, deadline_after(std::chrono::milliseconds(5)));
    }
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE last_used_at IS NOT NULL"), 1);
  });
}

TEST(KeyRoutes, WrongSecretIsUnauthorized) {
  with_service([](ServiceEnv& env) -> Task<void> {
    CreatedKey k = co_await create_key(env, token_for(env.user("bob")), R"({"name":"laptop"})");
    EXPECT_EQ(k.status, 201);
    std::string wrong = k.key;
    wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
    // Before the key was ever cached on this core, then after a good use cached it.
    RawResponse first = co_await env.request("GET", "/v1/keys", wrong);
    EXPECT_EQ(first.status, 401);
    EXPECT_FALSE(first.header("www-authenticate").empty());
    EXPECT_NE(first.body.find("unauthenticated"), std::string::npos);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", k.key)).status, 200);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", wrong)).status, 401);
    EXPECT_EQ((co_await env.upload(wrong, "x.txt", "x")).status, 401);
    // Unknown prefix (twice: the second answer comes from the negative cache) and malformed keys.
    std::string unknown = "sk_zzzzzzzz_" + k.key.substr(12);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", unknown)).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", unknown)).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", "sk_short")).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", "")).status, 401);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 0);
  });
}

TEST(KeyRoutes, RevokedKeyFailsAtOnce) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("carol"));
    CreatedKey k = co_await create_key(env, tok, R"({"name":"to revoke"})");
    CreatedKey other = co_await create_key(env, tok, R"({"name":"to keep"})");
    EXPECT_EQ((co_await env.upload(k.key, "a.txt", "a")).status, 201);  // now cached on this core
    RawResponse del = co_await env.request("DELETE", "/v1/keys/" + k.id, tok);
    EXPECT_EQ(del.status, 204) << del.body;
    EXPECT_TRUE(del.body.empty());
    EXPECT_EQ((co_await env.upload(k.key, "b.txt", "b")).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", k.key)).status, 401);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE revoked_at IS NOT NULL"), 1);
    // Revoking twice: the key no longer exists for the API.
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + k.id, tok)).status, 404);
    // The other key of the same user still works; a key may revoke itself.
    EXPECT_EQ((co_await env.upload(other.key, "c.txt", "c")).status, 201);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + other.id, other.key)).status, 204);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", other.key)).status, 401);
  });
}

TEST(KeyRoutes, ListShowsNoSecrets) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("dave"));
    CreatedKey a = co_await create_key(env, tok, R"({"name":"first"})");
    CreatedKey b = co_await create_key(env, tok, R"({"name":"second","scopes":["files:read","files:write"]})");
    CreatedKey gone = co_await create_key(env, tok, R"({"name":"gone"})");
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + gone.id, tok)).status, 204);
    (void)co_await create_key(env, token_for(env.user("eve")), R"({"name":"eves"})");
    RawResponse list = co_await env.request("GET", "/v1/keys", tok);
    EXPECT_EQ(list.status, 200);
    EXPECT_NE(list.body.find(a.id), std::string::npos);
    EXPECT_NE(list.body.find(b.id), std::string::npos);
    EXPECT_NE(list.body.find("\"prefix\":\"" + a.prefix + "\""), std::string::npos);
    EXPECT_LT(list.body.find(b.id), list.body.find(a.id)) << "newest first";
    EXPECT_NE(list.body.find("\"scopes\":[\"files:read\",\"files:write\"]"), std::string::npos);
    EXPECT_EQ(list.body.find(gone.id), std::string::npos) << "revoked keys are not listed";
    EXPECT_EQ(list.body.find("eves"), std::string::npos) << "other users' keys are not listed";
    EXPECT_EQ(list.body.find("\"key\""), std::string::npos);
    EXPECT_EQ(list.body.find(a.key.substr(12)), std::string::npos) << "no secret in the listing";
    EXPECT_EQ(list.body.find(b.key.substr(12)), std::string::npos);
    EXPECT_EQ(list.body.find("secret"), std::string::npos);
  });
}

TEST(KeyRoutes, OthersKeysDoNotExist) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string owner = token_for(env.user("frank"));
    CreatedKey k = co_await create_key(env, owner, R"({"name":"mine"})");
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + k.id, token_for(env.user("grace")))).status, 404);
    // Not even an admin revokes someone else's key through this route.
    EXPECT_EQ(
        (co_await env.request("DELETE", "/v1/keys/" + k.id, token_for(env.user("root"), auth::Role::admin))).status,
        404);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/not-a-uuid", owner)).status, 404);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/00000000-0000-4000-8000-000000000000", owner)).status, 404);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + k.id, "")).status, 401);
    EXPECT_EQ((co_await env.upload(k.key, "still.txt", "ok")).status, 201);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE revoked_at IS NULL"), 1);
  });
}

TEST(KeyRoutes, CreationIsValidated) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("henry"));
    EXPECT_EQ((co_await create_key(env, "", R"({"name":"x"})")).status, 401);
    CreatedKey no_name = co_await create_key(env, tok, "{}");
    EXPECT_EQ(no_name.status, 400);
    EXPECT_NE(no_name.body.find("invalid_name"), std::string::npos);
    EXPECT_EQ((co_await create_key(env, tok, "not json")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, "[1,2]")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, R"({"name":""})")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, R"({"name":7})")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, "{\"name\":\"" + std::string(129, 'n') + "\"}")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, R"({"name":"a","scopes":"all"})")).status, 400);
    EXPECT_EQ((co_await create_key(env, tok, R"({"name":"a","scopes":["BAD SCOPE"]})")).status, 400);
    RawResponse xml = co_await env.request("POST", "/v1/keys", tok, "<name/>", "Content-Type: text/xml\r\n");
    EXPECT_EQ(xml.status, 415);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys"), 0);
    // A key cannot mint keys (a leaked key must not outlive its revocation).
    CreatedKey k = co_await create_key(env, tok, R"({"name":"ok"})");
    EXPECT_EQ(k.status, 201);
    CreatedKey minted = co_await create_key(env, k.key, R"({"name":"child"})");
    EXPECT_EQ(minted.status, 403);
    EXPECT_NE(minted.body.find("forbidden"), std::string::npos);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys"), 1);
  });
}

}  // namespace
}  // namespace sluice
