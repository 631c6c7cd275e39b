// End to end: GET /v1/quota agrees with the accounts table after uploads; an admin's quota or
// tier change applies to the very next upload; admin routes refuse users (403) and anonymous
// callers (401); GET /v1/admin/stats totals match the database and this instance's counters.
#include <gtest/gtest.h>

#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using testing::json_field;
using testing::json_int;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

std::string admin_token(ServiceEnv& env) { return token_for(env.user("admin"), auth::Role::admin); }

TEST(QuotaRoutes, QuotaMatchesTheDatabase) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("mia");
    std::string tok = token_for(user);
    // A new caller: the account is created from the default tier.
    RawResponse fresh = co_await env.request("GET", "/v1/quota", tok);
    EXPECT_EQ(fresh.status, 200) << fresh.body;
    EXPECT_EQ(json_field(fresh.body, "tier"), "free");
    EXPECT_EQ(json_int(fresh.body, "quotaBytes"), 1073741824);
    EXPECT_EQ(json_int(fresh.body, "usedBytes"), 0);
    EXPECT_EQ(json_int(fresh.body, "fileCount"), 0);
    EXPECT_EQ(json_int(fresh.body, "maxFiles"), 100);
    EXPECT_EQ(json_int(fresh.body, "maxFileBytes"), 104857600);
    EXPECT_EQ(json_int(fresh.body, "maxConcurrentUploads"), 2);
    EXPECT_EQ(json_int(fresh.body, "activeUploads"), 0);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ((co_await env.upload(tok, "q" + std::to_string(i), std::string(1000 + i, 'q'))).status, 201);
    RawResponse q = co_await env.request("GET", "/v1/quota", tok);
    EXPECT_EQ(q.status, 200);
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    EXPECT_EQ(json_int(q.body, "usedBytes"), co_await env.scalar("SELECT used_bytes" + where));
    EXPECT_EQ(json_int(q.body, "usedBytes"), 3003);
    EXPECT_EQ(json_int(q.body, "reservedBytes"), co_await env.scalar("SELECT reserved_bytes" + where));
    EXPECT_EQ(json_int(q.body, "reservedBytes"), 0);
    EXPECT_EQ(json_int(q.body, "fileCount"), co_await env.scalar("SELECT file_count" + where));
    EXPECT_EQ(json_int(q.body, "fileCount"), 3);
    EXPECT_EQ(json_int(q.body, "activeUploads"), 0);
    EXPECT_EQ((co_await env.request("GET", "/v1/quota", "")).status, 401);
  });
}

TEST(QuotaRoutes, AdminChangeAppliesToTheNextUpload) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("noah");
    std::string tok = token_for(user);
    EXPECT_EQ((co_await env.upload(tok, "a", std::string(500, 'a'))).status, 201);
    // Lower the quota to 510 bytes: 10 more fit, 11 do not.
    RawResponse set = co_await env.request("PUT", "/v1/admin/users/" + user + "/quota", admin_token(env),
                                           R"({"quotaBytes":510})", "Content-Type: application/json\r\n");
    EXPECT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(json_int(set.body, "quotaBytes"), 510);
    EXPECT_EQ(json_int(set.body, "usedBytes"), 500);
    RawResponse full = co_await env.upload(tok, "b", std::string(11, 'b'));
    EXPECT_EQ(full.status, 507) << full.body;
    EXPECT_NE(full.body.find("quota_exceeded"), std::string::npos);
    EXPECT_EQ((co_await env.upload(tok, "c", std::string(10, 'c'))).status, 201);
    EXPECT_EQ(json_int((co_await env.request("GET", "/v1/quota", tok)).body, "quotaBytes"), 510);
    // Tier change with the override cleared: the tier's quota applies again.
    RawResponse pro =
        co_await env.request("PUT", "/v1/admin/users/" + user + "/quota", token_for(env.user("root"), auth::Role::root),
                             R"({"tier":"pro","quotaBytes":null})");
    EXPECT_EQ(pro.status, 200) << pro.body;
    EXPECT_EQ(json_field(pro.body, "tier"), "pro");
    EXPECT_EQ(json_int(pro.body, "quotaBytes"), 107374182400);
    EXPECT_EQ(json_int(pro.body, "maxConcurrentUploads"), 10);
    EXPECT_EQ((co_await env.upload(tok, "d", std::string(100, 'd'))).status, 201);
    // Only the tier, for a user who never called: the account is created.
    std::string later = env.user("later");
    RawResponse created =
        co_await env.request("PUT", "/v1/admin/users/" + later + "/quota", admin_token(env), R"({"tier":"pro"})");
    EXPECT_EQ(created.status, 200) << created.body;
    EXPECT_EQ(co_await env.text("SELECT tier FROM sluice.accounts WHERE user_id = '" + later + "'"), "pro");
    // Refusals.
    std::string path = "/v1/admin/users/" + user + "/quota";
    EXPECT_EQ((co_await env.request("PUT", path, admin_token(env), R"({"tier":"nope"})")).status, 400);
    EXPECT_EQ((co_await env.request("PUT", path, admin_token(env), R"({"quotaBytes":-1})")).status, 400);
    EXPECT_EQ((co_await env.request("PUT", path, admin_token(env), R"({"quotaBytes":"big"})")).status, 400);
    EXPECT_EQ((co_await env.request("PUT", path, admin_token(env), "{}")).status, 400);
    EXPECT_EQ((co_await env.request("PUT", path, admin_token(env), "{")).status, 400);
    EXPECT_EQ(
        (co_await env.request("PUT", "/v1/admin/users/bad%20id/quota", admin_token(env), R"({"tier":"pro"})")).status,
        400);
    EXPECT_EQ(co_await env.text("SELECT tier FROM sluice.accounts WHERE user_id = '" + user + "'"), "pro");
  });
}

TEST(QuotaRoutes, AdminRoutesRefuseUsers) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("olga");
    std::string tok = token_for(user);
    std::string quota_path = "/v1/admin/users/" + user + "/quota";
    RawResponse put = co_await env.request("PUT", quota_path, tok, R"({"quotaBytes":1})");
    EXPECT_EQ(put.status, 403);
    EXPECT_NE(put.body.find("\"code\":\"forbidden\""), std::string::npos);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", tok)).status, 403);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/concurrency", tok)).status, 403);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/admin/concurrency/users/" + user, tok)).status, 403);
    // An API key acts as a user, whoever owns it.
    std::string admin = admin_token(env);
    RawResponse key = co_await env.request("POST", "/v1/keys", admin, R"({"name":"admin's key"})");
    EXPECT_EQ(key.status, 201);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", json_field(key.body, "key"))).status, 403);
    // Anonymous callers: 401.
    EXPECT_EQ((co_await env.request("PUT", quota_path, "", R"({"quotaBytes":1})")).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", "")).status, 401);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/concurrency", "")).status, 401);
    EXPECT_EQ((co_await env.request("DELETE", "/v1/admin/concurrency/users/" + user, "")).status, 401);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.accounts WHERE quota_bytes_override IS NOT NULL"), 0);
    // Admin and root may.
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", admin)).status, 200);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", token_for(env.user("r"), auth::Role::root))).status, 200);
  });
}

TEST(QuotaRoutes, AdminStatsTotals) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string a = token_for(env.user("pat")), b = token_for(env.user("quinn"));
    EXPECT_EQ((co_await env.upload(a, "1", std::string(100, '1'))).status, 201);
    EXPECT_EQ((co_await env.upload(a, "2", std::string(200, '2'))).status, 201);
    EXPECT_EQ((co_await env.upload(b, "3", std::string(300, '3'))).status, 201);
    RawResponse s = co_await env.request("GET", "/v1/admin/stats", admin_token(env));
    EXPECT_EQ(s.status, 200) << s.body;
    EXPECT_EQ(json_int(s.body, "accounts"), co_await env.scalar("SELECT count(*) FROM sluice.accounts"));
    EXPECT_EQ(json_int(s.body, "files"), 3);
    EXPECT_EQ(json_int(s.body, "storedBytes"), 600);
    EXPECT_EQ(json_int(s.body, "usedBytes"), 600);
    EXPECT_EQ(json_int(s.body, "reservedBytes"), 0);
    EXPECT_EQ(json_int(s.body, "uploadingFiles"), 0);
    // This instance's counters (the one core here).
    EXPECT_NE(s.body.find("\"uploads\":{\"started\":3,\"committed\":3,\"failed\":0,\"bytes\":600}"), std::string::npos)
        << s.body;
    EXPECT_EQ(json_int(s.body, "cores"), 1);
  });
}

}  // namespace
}  // namespace sluice
