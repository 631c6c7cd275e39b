// Issue 11 items 5-8 end to end, on real PostgreSQL and Redis over real sockets:
// - API-key scopes are enforced on every route (403 insufficient_scope naming the scope),
//   validated at creation; keys may expire (expiresAt) and an expired key is 401, cached or not;
// - HEAD /v1/files/{id}/content answers from the row and never opens the object;
// - a PostgreSQL error reaches the client as our own message, never the server's text;
// - with PostgreSQL unreachable an API key is 503 (with Retry-After) on every route, never 401.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>

#include "storage/service/auth/api_key.h"
#include "storage/service/auth/api_key_store.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/store/local/key_path.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using testing::closed_port;
using testing::HarnessOptions;
using testing::json_field;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

constexpr const char* kJson = "Content-Type: application/json\r\n";

struct Key {
  int status = 0;
  std::string id, key, body;
};

Task<Key> create_key(ServiceEnv& env, std::string token, std::string body) {
  RawResponse r = co_await env.request("POST", "/v1/keys", std::move(token), std::move(body), kJson);
  co_return Key{r.status, json_field(r.body, "id"), json_field(r.body, "key"), r.body};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The 403 a key without `scope` gets.
void expect_insufficient(const RawResponse& r, const std::string& scope) {
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_TRUE(has(r.body, "\"code\":\"insufficient_scope\"")) << r.body;
  EXPECT_TRUE(has(r.body, "\"requiredScope\":\"" + scope + "\"")) << r.body;
  EXPECT_TRUE(has(r.header("www-authenticate"), "insufficient_scope")) << r.header("www-authenticate");
}

// Braced lists of strings stay out of coroutine bodies (STYLE.md 6: GCC 12).
constexpr const char* kBadScopes[] = {R"(["files:admin"])", R"(["*"])", R"(["files:read","admin"])",
                                      R"([])",              R"([7])",   R"(["FILES:READ"])"};
constexpr const char* kBadExpiries[] = {R"("2001-01-01T00:00:00Z")", R"("tomorrow")", R"("2999-01-01 00:00:00Z")",
                                        R"("2999-01-01T00:00:00")",  R"("2999-02-30T00:00:00Z")", R"(4102444800)"};
constexpr const char* kLeaks[] = {"Failing row", "DETAIL",   "PostgreSQL",  "violates", "constraint",
                                  "sluice.files", "test_refused_name", "refused.txt", "relation"};

// ---------------------------------------------------------------- scopes

TEST(ApiKeyScopes, ReadOnlyKeyCannotUploadOrTouchKeys) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("sam"));
    RawResponse up = co_await env.upload(tok, "mine.txt", "file bytes");
    EXPECT_EQ(up.status, 201);
    std::string file = json_field(up.body, "id");
    Key reader = co_await create_key(env, tok, R"({"name":"reader","scopes":["files:read"]})");
    Key other = co_await create_key(env, tok, R"({"name":"other"})");
    EXPECT_EQ(reader.status, 201) << reader.body;
    EXPECT_TRUE(has(reader.body, "\"scopes\":[\"files:read\"]")) << reader.body;

    // What files:read allows.
    EXPECT_EQ((co_await env.request("GET", "/v1/files/" + file, reader.key)).status, 200);
    RawResponse down = co_await env.request("GET", "/v1/files/" + file + "/content", reader.key);
    EXPECT_EQ(down.status, 200);
    EXPECT_EQ(down.body, "file bytes");
    EXPECT_EQ((co_await env.request("GET", "/v1/quota", reader.key)).status, 200);

    // Every upload route wants files:write.
    expect_insufficient(co_await env.upload(reader.key, "nope.txt", "x"), "files:write");
    expect_insufficient(co_await env.request("POST", "/v1/files", reader.key, "--b--\r\n",
                                             "Content-Type: multipart/form-data; boundary=b\r\n"),
                        "files:write");
    expect_insufficient(
        co_await env.request("POST", "/v1/uploads", reader.key, R"({"name":"big.bin","size":10000000})", kJson),
        "files:write");
    std::string some_upload = "/v1/uploads/00000000-0000-4000-8000-000000000000";
    expect_insufficient(co_await env.request("GET", some_upload, reader.key), "files:write");
    expect_insufficient(co_await env.request("DELETE", some_upload, reader.key), "files:write");
    expect_insufficient(co_await env.request("POST", some_upload + "/heartbeat", reader.key), "files:write");
    expect_insufficient(co_await env.request("POST", some_upload + "/complete", reader.key, "{}", kJson), "files:write");
    expect_insufficient(co_await env.request("PUT", some_upload + "/parts/1", reader.key, "x"), "files:write");
    expect_insufficient(co_await env.request("POST", some_upload + "/parts/1/url", reader.key, "{}", kJson),
                        "files:write");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);

    // Key management wants keys:write: the read key can neither list nor revoke its siblings.
    RawResponse revoke = co_await env.request("DELETE", "/v1/keys/" + other.id, reader.key);
    expect_insufficient(revoke, "keys:write");
    EXPECT_TRUE(has(revoke.body, "\"grantedScopes\":[\"files:read\"]")) << revoke.body;
    expect_insufficient(co_await env.request("GET", "/v1/keys", reader.key), "keys:write");
    RawResponse mint = co_await env.request("POST", "/v1/keys", reader.key, R"({"name":"child"})", kJson);
    expect_insufficient(mint, "keys:write");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys WHERE revoked_at IS NULL"), 2);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", other.key)).status, 200);
  });
}

TEST(ApiKeyScopes, EachScopeOpensOnlyItsRoutes) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("tess"));
    Key writer = co_await create_key(env, tok, R"({"name":"ci","scopes":["files:write"]})");
    Key keys = co_await create_key(env, tok, R"({"name":"admin of keys","scopes":["keys:write"]})");
    Key victim = co_await create_key(env, tok, R"({"name":"victim"})");
    RawResponse up = co_await env.upload(writer.key, "w.txt", "written");
    EXPECT_EQ(up.status, 201) << up.body;
    std::string file = json_field(up.body, "id");
    expect_insufficient(co_await env.request("GET", "/v1/files/" + file, writer.key), "files:read");
    expect_insufficient(co_await env.request("GET", "/v1/files/" + file + "/content", writer.key), "files:read");
    expect_insufficient(co_await env.request("GET", "/v1/quota", writer.key), "files:read");
    expect_insufficient(co_await env.request("GET", "/v1/keys", writer.key), "keys:write");
    // keys:write lists and revokes, and nothing else; it still cannot mint keys.
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", keys.key)).status, 200);
    expect_insufficient(co_await env.upload(keys.key, "k.txt", "k"), "files:write");
    RawResponse mint = co_await env.request("POST", "/v1/keys", keys.key, R"({"name":"child"})", kJson);
    EXPECT_EQ(mint.status, 403);
    EXPECT_TRUE(has(mint.body, "\"code\":\"forbidden\"")) << mint.body;
    EXPECT_EQ((co_await env.request("DELETE", "/v1/keys/" + victim.id, keys.key)).status, 204);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", victim.key)).status, 401);
    // A token holds every scope.
    EXPECT_EQ((co_await env.request("GET", "/v1/files/" + file + "/content", tok)).status, 200);
    EXPECT_EQ((co_await env.request("GET", "/v1/keys", tok)).status, 200);
  });
}

TEST(ApiKeyScopes, CreationRefusesUnknownScopes) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("uma"));
    for (const char* bad : kBadScopes) {
      std::string req = std::string(R"({"name":"x","scopes":)") + bad + "}";
      Key k = co_await create_key(env, tok, req);
      EXPECT_EQ(k.status, 400) << bad << " " << k.body;
      EXPECT_TRUE(has(k.body, "invalid_scopes")) << k.body;
    }
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys"), 0);
    // Left out: every scope, shown; duplicates collapse.
    Key all = co_await create_key(env, tok, R"({"name":"all"})");
    EXPECT_EQ(all.status, 201);
    EXPECT_TRUE(has(all.body,
                    R"("scopes":["files:read","files:write","files:delete","shares:write","keys:write"])"))
        << all.body;
    EXPECT_TRUE(has(all.body, "\"expiresAt\":null")) << all.body;
    Key dup = co_await create_key(env, tok, R"({"name":"dup","scopes":["files:read","files:read"]})");
    EXPECT_EQ(dup.status, 201);
    EXPECT_TRUE(has(dup.body, R"("scopes":["files:read"])")) << dup.body;
  });
}

// ---------------------------------------------------------------- expiry

TEST(ApiKeyExpiry, ExpiresAtIsValidatedAndShown) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("vic"));
    for (const char* bad : kBadExpiries) {
      std::string req = std::string(R"({"name":"x","expiresAt":)") + bad + "}";
      Key k = co_await create_key(env, tok, req);
      EXPECT_EQ(k.status, 400) << bad << " " << k.body;
      EXPECT_TRUE(has(k.body, "invalid_expiry")) << k.body;
    }
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.api_keys"), 0);
    Key k = co_await create_key(env, tok, R"({"name":"later","expiresAt":"2999-01-02T05:04:05.250+02:00"})");
    EXPECT_EQ(k.status, 201) << k.body;
    EXPECT_EQ(json_field(k.body, "expiresAt"), "2999-01-02T03:04:05.250Z");
    RawResponse list = co_await env.request("GET", "/v1/keys", tok);
    EXPECT_TRUE(has(list.body, "\"expiresAt\":\"2999-01-02T03:04:05.250Z\"")) << list.body;
    EXPECT_EQ((co_await env.request("GET", "/v1/quota", k.key)).status, 200);
  });
}

TEST(ApiKeyExpiry, ExpiredKeyIsUnauthorized) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("wes"));
    Key k = co_await create_key(env, tok, R"({"name":"soon","expiresAt":"2999-01-01T00:00:00Z"})");
    EXPECT_EQ(k.status, 201);
    // Time passes (in the database: the key is not cached yet on this core).
    (void)co_await env.scalar("UPDATE sluice.api_keys SET expires_at = now() - interval '1 second' RETURNING 0");
    RawResponse r = co_await env.request("GET", "/v1/quota", k.key);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_TRUE(has(r.body, "expired")) << r.body;
    EXPECT_EQ((co_await env.upload(k.key, "late.txt", "x")).status, 401);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 0);
  });
}

Deadline g_now = Clock::now();
Deadline fake_now() { return g_now; }

// The per-core cache checks the key's expiry on every hit: a key cached while valid stops at
// its expiry, not at the end of the cache entry's TTL.
TEST(ApiKeyExpiry, CachedKeyStopsAtItsExpiry) {
  with_service([](ServiceEnv& env) -> Task<void> {
    TaskGroup bg;
    ApiKeyStoreOptions o;
    o.ttl = std::chrono::seconds(30);
    o.clock = &fake_now;
    ApiKeyStore store(*env.check, bg, o);
    std::string owner = env.user("xia");
    auto k = auth::generate_api_key();
    EXPECT_TRUE(k.ok());
    if (!k.ok()) co_return;
    auto parsed = auth::parse_api_key(k->full_key);
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) co_return;
    (void)co_await env.check->execute("INSERT INTO sluice.accounts (user_id) VALUES ($1)", owner);
    int64_t now = static_cast<int64_t>(time(nullptr));
    auto ins = co_await env.check->execute(
        "INSERT INTO sluice.api_keys (owner, prefix, secret_hash, scopes, expires_at) "
        "VALUES ($1, $2, $3, '{files:read}', to_timestamp($4::bigint))",
        owner, k->prefix, k->secret_hash, now + 10);
    EXPECT_TRUE(ins.ok());
    auto first = co_await store.lookup(parsed->prefix, parsed->secret, now);
    EXPECT_TRUE(first.ok());
    if (first.ok()) {
      EXPECT_TRUE(first->has(ApiScope::files_read));
      EXPECT_FALSE(first->has(ApiScope::files_write));
    }
    auto still = co_await store.lookup(parsed->prefix, parsed->secret, now + 9);
    EXPECT_TRUE(still.ok());
    auto late = co_await store.lookup(parsed->prefix, parsed->secret, now + 10);
    EXPECT_FALSE(late.ok());
    if (!late.ok()) {
      EXPECT_EQ(late.error().code, Errc::unauthenticated);
      EXPECT_EQ(late.error().message, "api key expired");
    }
    EXPECT_EQ(store.stats().misses, 1u) << "the later answers came from the cache";
    EXPECT_EQ(store.stats().hits, 2u);
    co_await bg.wait();
  });
}

TEST(Rfc3339, ParsesStrictDateTimes) {
  EXPECT_EQ(parse_rfc3339_millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_millis("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339_millis("2000-03-01t00:00:00.5z"), 951868800500);
  EXPECT_EQ(parse_rfc3339_millis("2024-02-29T23:59:59.999-00:30"), 1709251199999 + 1800000);
  for (const char* bad : {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
                          "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00.Z",
                          "2024-01-01T00:00:00+0100", "2024-1-01T00:00:00Z", "2024-01-01T00:00:00Zjunk"})
    EXPECT_FALSE(parse_rfc3339_millis(bad).has_value()) << bad;
}

// ---------------------------------------------------------------- HEAD

// Sends one request on a fresh connection and reads the answer as a HEAD answer (no body), then
// a GET of `then` on the same connection: it parses only if HEAD sent no body bytes.
Task<std::pair<RawResponse, RawResponse>> head_then_get(ServiceEnv& env, std::string head, std::string then,
                                                       std::string token) {
  std::pair<RawResponse, RawResponse> out;
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  EXPECT_TRUE(c.ok());
  if (!c.ok()) co_return out;
  std::string auth = "Authorization: Bearer " + token + "\r\n";
  (void)co_await (*c)->send(std::move(head));
  auto h = co_await (*c)->read_response(std::chrono::seconds(10), true);
  EXPECT_TRUE(h.ok());
  if (h.ok()) out.first = std::move(*h);
  (void)co_await (*c)->send("GET " + then + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n");
  auto g = co_await (*c)->read_response(std::chrono::seconds(10));
  EXPECT_TRUE(g.ok());
  if (g.ok()) out.second = std::move(*g);
  co_await (*c)->close();
  co_return out;
}

TEST(HeadContent, AnswersFromTheRowWithoutOpeningTheObject) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("yan"));
    std::string body = "sixteen bytes!!!";
    RawResponse up = co_await env.request("PUT", "/v1/files/content?name=h.txt", tok, body,
                                          "Content-Type: text/plain\r\n");
    EXPECT_EQ(up.status, 201) << up.body;
    std::string id = json_field(up.body, "id");
    std::string content = "/v1/files/" + id + "/content";
    RawResponse get = co_await env.request("GET", content, tok);
    EXPECT_EQ(get.status, 200);
    std::string etag = get.header("etag");
    EXPECT_FALSE(etag.empty());

    // The object disappears behind Sluice's back: GET cannot serve it, HEAD never looks.
    std::string object_key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + id + "'");
    auto rel = local::object_path_for_key(object_key);
    EXPECT_TRUE(rel.ok());
    if (!rel.ok()) co_return;
    int removed = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(env.store_dir))
      if (e.is_regular_file() && e.path().string().ends_with("/" + *rel)) {
        std::filesystem::remove(e.path());
        ++removed;
        break;
      }
    EXPECT_EQ(removed, 1);
    EXPECT_NE((co_await env.request("GET", content, tok)).status, 200);

    std::string auth = "Authorization: Bearer " + tok + "\r\n";
    std::string head_req = "HEAD " + content + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n";
    std::string meta = "/v1/files/" + id;
    auto plain = co_await head_then_get(env, head_req, meta, tok);
    RawResponse& head = plain.first;
    RawResponse& after = plain.second;
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), "16");
    EXPECT_EQ(head.header("etag"), etag);
    EXPECT_EQ(head.header("content-type"), "text/plain");
    EXPECT_EQ(head.header("accept-ranges"), "bytes");
    EXPECT_TRUE(has(head.header("content-disposition"), "h.txt"));
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(after.status, 200) << "a body after HEAD would garble the next response";
    EXPECT_EQ(json_field(after.body, "id"), id);

    std::string range_req = "HEAD " + content + " HTTP/1.1\r\nHost: t\r\nRange: bytes=2-5\r\n" + auth + "\r\n";
    auto ranged = co_await head_then_get(env, range_req, meta, tok);
    RawResponse& range = ranged.first;
    RawResponse& after2 = ranged.second;
    EXPECT_EQ(range.status, 206);
    EXPECT_EQ(range.header("content-length"), "4");
    EXPECT_EQ(range.header("content-range"), "bytes 2-5/16");
    EXPECT_EQ(range.header("etag"), etag);
    EXPECT_EQ(after2.status, 200);

    std::string suffix_req = "HEAD " + content + " HTTP/1.1\r\nHost: t\r\nRange: bytes=-3\r\n" + auth + "\r\n";
    auto suffixed = co_await head_then_get(env, suffix_req, meta, tok);
    RawResponse& suffix = suffixed.first;
    RawResponse& after3 = suffixed.second;
    EXPECT_EQ(suffix.status, 206);
    EXPECT_EQ(suffix.header("content-range"), "bytes 13-15/16");
    EXPECT_EQ(after3.status, 200);
  });
}

// ---------------------------------------------------------------- database error text

TEST(DatabaseErrorText, ConstraintFailureAnswersOurOwnMessage) {
  with_service([](ServiceEnv& env) -> Task<void> {
    // A rule only the database knows, so the insert of the file row fails in PostgreSQL.
    auto added = co_await env.check->execute(
        "ALTER TABLE sluice.files ADD CONSTRAINT test_refused_name CHECK (name <> 'refused.txt')");
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
    std::string tok = token_for(env.user("zed"));
    RawResponse r = co_await env.upload(tok, "refused.txt", "bytes");
    EXPECT_GE(r.status, 400) << r.body;
    EXPECT_LT(r.status, 500) << r.body;
    EXPECT_TRUE(has(r.body, "\"code\":\"invalid_request\"")) << r.body;
    for (const char* leak : kLeaks)
      EXPECT_FALSE(has(r.body, leak)) << leak << " in " << r.body;
    EXPECT_FALSE(r.header("x-request-id").empty());
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 0);
    (void)co_await env.check->execute("ALTER TABLE sluice.files DROP CONSTRAINT test_refused_name");
  });
}

// ---------------------------------------------------------------- one authentication path

TEST(AuthOutage, ApiKeyWithPostgresDownIs503OnEveryRoute) {
  HarnessOptions o;
  o.require_start = false;
  o.tweak = [](ServiceConfig& c) {
    c.pg_url = "postgresql://sluice@127.0.0.1:" + std::to_string(closed_port()) + "/sluice";
  };
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        EXPECT_FALSE(env.started.ok());
        auto k = auth::generate_api_key();
        EXPECT_TRUE(k.ok());
        if (!k.ok()) co_return;
        std::string key = k->full_key;  // well-formed: only the database could say whether it is good
        std::string file = "/v1/files/00000000-0000-4000-8000-000000000000";
        std::string upload = "/v1/uploads/00000000-0000-4000-8000-000000000000";
        std::vector<std::pair<std::string, std::string>> routes;
        routes.emplace_back("PUT", "/v1/files/content?name=a.txt");
        routes.emplace_back("GET", file);
        routes.emplace_back("GET", file + "/content");
        routes.emplace_back("POST", "/v1/uploads");
        routes.emplace_back("GET", upload);
        routes.emplace_back("DELETE", upload);
        routes.emplace_back("POST", upload + "/heartbeat");
        routes.emplace_back("GET", "/v1/keys");
        routes.emplace_back("GET", "/v1/quota");
        for (size_t i = 0; i < routes.size(); ++i) {
          std::string method = routes[i].first, path = routes[i].second;
          std::string body = method == "PUT" ? "x" : "";
          RawResponse r = co_await env.request(method, path, key, body);
          EXPECT_EQ(r.status, 503) << method << " " << path << ": " << r.body;
          EXPECT_FALSE(r.header("retry-after").empty()) << method << " " << path;
          EXPECT_FALSE(has(r.body, "127.0.0.1")) << r.body;
        }
      },
      o);
}

}  // namespace
}  // namespace sluice
