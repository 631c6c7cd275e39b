// Issue 11, items 1 and 2, over real sockets on PostgreSQL, Redis and each store: sizes from
// clients cannot wrap a reservation (the 2^64 - 9 MiB form upload), and an upload body is paced:
// its lease is renewed by time while bytes move, and a body slower than the minimum rate gets 408
// and releases its slot, lease, reservation and object.
#include <gtest/gtest.h>

#include <string>

#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;
using Env = testing::UploadEnv;

class UploadHardening : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Stores, UploadHardening, ::testing::Values("local", "s3"), testing::store_name);

const std::string kBoundary = "------------------------5d1c0ffee5d1c0ff";
constexpr uint64_t kMiB = 1024 * 1024;

std::string error_code(const std::string& body) {
  size_t at = body.find("\"code\":\"");
  if (at == std::string::npos) return "";
  at += 8;
  return body.substr(at, body.find('"', at) - at);
}

// Sends `head` and then `body` in `piece`-byte steps every `every` until the response arrives
// (or the body is all sent), and returns the response.
Task<Result<RawResponse>> trickle(Env& env, std::string head, std::string body, size_t piece, Duration every) {
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  if (!c.ok()) co_return std::move(c).error();
  RawHttpClient* client = c->get();
  bool answered = false;
  auto sender = [](Reactor* r, RawHttpClient* cl, std::string h, std::string b, size_t p, Duration e,
                   bool* stop) -> Task<void> {
    (void)co_await cl->send(std::move(h));
    for (size_t off = 0; off < b.size() && !*stop; off += p) {
      co_await SleepUntil(*r, deadline_after(e));
      if (*stop) break;
      auto s = co_await cl->send(b.substr(off, p));
      if (!s.ok()) break;
    }
  };
  TaskGroup group;
  spawn(sender(&env.r, client, std::move(head), std::move(body), piece, every, &answered), &group);
  auto resp = co_await client->read_response(30s);
  answered = true;
  co_await group.wait();
  co_await client->close();
  co_return resp;
}

// Leases of `user` that have not expired yet (by Redis' own scores, in milliseconds).
Task<int64_t> live_leases(Env& env, std::string user) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_ms = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  std::vector<std::string> cmd;
  cmd.push_back("ZCOUNT");
  cmd.push_back("sluice:leases:{" + user + "}");
  cmd.push_back(std::to_string(now_ms));
  cmd.push_back("+inf");
  auto r = co_await env.redis->command(std::move(cmd), deadline_after(2s));
  co_return r.ok() ? r->integer : -1;
}

// Content-Length values no store holds (kept out of the coroutines: GCC 12 and braced lists).
std::vector<std::string> huge_lengths() {
  return {"18446744073700114432", "18446744073709551615", "9223372036854775807", "4611686018427387905"};
}

struct SessionCase {
  std::string json;
  int status;
};
std::vector<SessionCase> absurd_sessions() {
  return {{"{\"name\":\"a\",\"size\":18446744073700114432}", 413},
          {"{\"name\":\"a\",\"size\":18446744073709551615}", 413},
          {"{\"name\":\"a\",\"size\":9223372036854775807}", 413},
          {"{\"name\":\"a\",\"size\":4611686018427387904}", 413},  // in range, over the tier
          {"{\"name\":\"a\",\"size\":1048576,\"partSize\":18446744073709551615}", 413},
          {"{\"name\":\"a\",\"size\":-1}", 400}};
}

// The outside review's reproduction: a free-tier user (100 MiB per file) holds a 9 MiB
// multipart reservation and posts a form with Content-Length 2^64 - 9 MiB. It used to wrap to a
// negative reservation and store a 200 MiB file with 201.
TEST_P(UploadHardening, FormUploadWithWrappingContentLengthIsRefused) {
  testing::with_upload_env(GetParam(), [](Env& env) -> Task<void> {
    std::string user = env.user("wrap"), tok = token_for(user);
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    std::string init = "{\"name\":\"held.bin\",\"size\":" + std::to_string(9 * kMiB) + "}";
    auto held = co_await env.call("POST /v1/uploads HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                                  "\r\nContent-Type: application/json\r\nContent-Length: " +
                                  std::to_string(init.size()) + "\r\n\r\n" + init);
    EXPECT_TRUE(held.ok());
    if (!held.ok()) co_return;
    EXPECT_EQ(held->status, 201) << held->body;
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes" + where), static_cast<int64_t>(9 * kMiB));

    std::string head = "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                       "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                       "\r\nContent-Length: 18446744073700114432\r\n\r\n";
    std::string body = "--" + kBoundary +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n" +
                       pattern_bytes(64 * 1024, 3);
    auto r = co_await trickle(env, head, body, 16 * 1024, 1ms);
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      EXPECT_GE(r->status, 400) << r->body;
      EXPECT_LT(r->status, 500) << r->body;
      EXPECT_EQ(r->status, 413) << r->body;
      EXPECT_EQ(error_code(r->body), "size_out_of_range") << r->body;
    }
    // No file, usage unchanged, only the session's reservation held.
    co_await SleepUntil(env.r, deadline_after(50ms));
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE owner = '" + user +
                                  "' AND status = 'available'"),
              0);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), 0);
    EXPECT_EQ(co_await env.scalar("SELECT file_count" + where), 0);
    EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes" + where), static_cast<int64_t>(9 * kMiB));
    EXPECT_EQ(co_await env.stored_objects(), 0);
  });
}

// Content-Length values past any storable size on PUT, and absurd multipart sizes: refused at
// the door (4xx), nothing reserved.
TEST_P(UploadHardening, HugeSizesFromClientsAreRefusedWhereTheyEnter) {
  testing::with_upload_env(GetParam(), [](Env& env) -> Task<void> {
    std::string user = env.user("huge"), tok = token_for(user);
    std::string auth = "Host: t\r\nAuthorization: Bearer " + tok + "\r\n";
    for (const std::string& length : huge_lengths()) {
      auto r = co_await env.call("PUT /v1/files/content?name=huge.bin HTTP/1.1\r\n" + auth +
                                 "Content-Length: " + length + "\r\n\r\nabc");
      EXPECT_TRUE(r.ok());
      if (!r.ok()) continue;
      EXPECT_EQ(r->status, 413) << length << ": " << r->body;
      EXPECT_EQ(error_code(r->body), "size_out_of_range") << r->body;
    }
    // In range for the type, over the tier: the tier's refusal.
    auto over = co_await env.call("PUT /v1/files/content?name=huge.bin HTTP/1.1\r\n" + auth +
                                  "Content-Length: 4611686018427387904\r\n\r\nabc");
    EXPECT_TRUE(over.ok());
    if (over.ok()) {
        EXPECT_EQ(over->status, 413) << over->body;
      }
    std::vector<SessionCase> cases = absurd_sessions();
    for (const SessionCase& c : cases) {
      auto r = co_await env.call("POST /v1/uploads HTTP/1.1\r\n" + auth + "Content-Type: application/json\r\n" +
                                 "Content-Length: " + std::to_string(c.json.size()) + "\r\n\r\n" + c.json);
      EXPECT_TRUE(r.ok());
      if (r.ok()) {
        EXPECT_EQ(r->status, c.status) << c.json << ": " << r->body;
      }
    }
    // A part with an absurd Content-Length: refused against the layout, before any byte.
    std::string init = "{\"name\":\"p.bin\",\"size\":1048576}";
    auto s = co_await env.call("POST /v1/uploads HTTP/1.1\r\n" + auth + "Content-Length: " +
                               std::to_string(init.size()) + "\r\n\r\n" + init);
    EXPECT_TRUE(s.ok());
    if (s.ok()) {
      EXPECT_EQ(s->status, 201) << s->body;
      size_t at = s->body.find("\"uploadId\":\"");
      std::string id = at == std::string::npos ? std::string() : s->body.substr(at + 12, 36);
      auto p = co_await env.call("PUT /v1/uploads/" + id + "/parts/1 HTTP/1.1\r\n" + auth +
                                 "Content-Length: 18446744073709551615\r\n\r\nabc");
      EXPECT_TRUE(p.ok());
      if (p.ok()) {
        EXPECT_EQ(p->status, 413) << p->body;  // over the route's limit, before the layout
      }
      auto gone = co_await env.call("DELETE /v1/uploads/" + id + " HTTP/1.1\r\n" + auth + "\r\n");
      EXPECT_TRUE(gone.ok());
    }
    co_await env.expect_clean(user, 0);
  });
}

// A body below the minimum rate gets 408 and gives everything back (short window for the test).
TEST_P(UploadHardening, CrawlingBodyGets408AndReleasesEverything) {
  auto tweak = [](ServiceConfig& c) {
    c.min_upload_rate = 50000;  // bytes/s
    c.min_upload_rate_window = 300ms;
  };
  testing::with_upload_env(
      GetParam(),
      [](Env& env) -> Task<void> {
        std::string user = env.user("crawl"), tok = token_for(user);
        std::string body = pattern_bytes(100000, 5);
        std::string head = "PUT /v1/files/content?name=slow.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        auto r = co_await trickle(env, head, body, 200, 20ms);  // ~10 KB/s
        EXPECT_TRUE(r.ok());
        if (r.ok()) {
          EXPECT_EQ(r->status, 408) << r->body;
          EXPECT_NE(r->body.find("minimum"), std::string::npos) << r->body;
        }
        // The same for a form upload.
        std::string form = "--" + kBoundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n" + body +
                           "\r\n--" + kBoundary + "--\r\n";
        std::string fhead = "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                            "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                            "\r\nContent-Length: " + std::to_string(form.size()) + "\r\n\r\n";
        auto f = co_await trickle(env, fhead, form, 200, 20ms);
        EXPECT_TRUE(f.ok());
        if (f.ok()) {
        EXPECT_EQ(f->status, 408) << f->body;
      }
        co_await env.expect_clean(user, 0);
      },
      tweak);
}

// Slow but above the minimum: the lease outlives its TTL because it is renewed by time.
TEST_P(UploadHardening, SlowUploadKeepsItsLeasePastTheTtl) {
  auto tweak = [](ServiceConfig& c) {
    c.lease_ttl = 600ms;
    c.min_upload_rate = 100;
    c.min_upload_rate_window = 300ms;
  };
  testing::with_upload_env(
      GetParam(),
      [](Env& env) -> Task<void> {
        std::string user = env.user("slowok"), tok = token_for(user);
        std::string body = pattern_bytes(16000, 6);  // 200 B every 20 ms: 1.6 s
        std::string head = "PUT /v1/files/content?name=slow.bin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        int64_t at_1s = -1, at_1_3s = -1;
        auto watch = [](Env* e, std::string u, int64_t* a, int64_t* b) -> Task<void> {
          co_await SleepUntil(e->r, deadline_after(1000ms));
          *a = co_await live_leases(*e, u);
          co_await SleepUntil(e->r, deadline_after(300ms));
          *b = co_await live_leases(*e, u);
        };
        TaskGroup group;
        spawn(watch(&env, user, &at_1s, &at_1_3s), &group);
        auto r = co_await trickle(env, head, body, 200, 20ms);
        co_await group.wait();
        EXPECT_TRUE(r.ok());
        if (r.ok()) {
        EXPECT_EQ(r->status, 201) << r->body;
      }
        EXPECT_EQ(at_1s, 1) << "the lease expired during a slow upload (TTL 600 ms)";
        EXPECT_EQ(at_1_3s, 1) << "the lease expired during a slow upload (TTL 600 ms)";
        co_await env.expect_clean(user, 1);
      },
      tweak);
}

}  // namespace
}  // namespace sluice
