// End to end, through the running service and its relay to a real `nats-server -js`: the events
// that are not file commits. upload.aborted for every way an upload ends without a file (a
// session deleted twice, a session the janitor finds silent, a PUT refused for its checksum, a
// PUT and a form upload whose client hangs up, a stalled PUT the janitor fails before its client
// hangs up), once each and never for a committed file; share.created, share.accessed (each
// counted download) and share.revoked, once each, never carrying the token.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>

#include "tests/storage/multipart_env.h"
#include "tests/storage/service/events/nats_test_server.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Initiated;
using testing::json_str;
using testing::kMiB;
using testing::MpuEnv;
using testing::NatsTestServer;
using testing::RawHttpClient;
using testing::read_stream;
using testing::StoredEvent;
using testing::token_for;
using testing::with_mpu_env;

constexpr uint64_t kPart = 5 * kMiB;
constexpr uint64_t kSize = 2 * kPart + 1000;

// The service publishes to `stream` on subjects t.<stream>.<type>, from source /sluice/events-test.
std::function<void(ServiceConfig&)> publishing_to(const NatsTestServer& nats, const std::string& stream) {
  std::string url = nats.url();
  return [url, stream](ServiceConfig& c) {
    c.nats_url = url;
    c.events_stream = stream;
    c.events_prefix = "t." + stream;
    c.events_source = "/sluice/events-test";
    c.url_secret = "events-test-url-secret-0123456789abcdef";
  };
}

// Polls (on the reactor) until `sql` returns `want`; the last value read.
Task<int64_t> wait_for(MpuEnv& env, std::string sql, int64_t want) {
  int64_t got = -1;
  for (int i = 0; i < 1000; ++i) {
    got = co_await env.scalar(sql);
    if (got == want) break;
    co_await SleepUntil(env.r, deadline_after(10ms));
  }
  co_return got;
}

// Waits until the relay has published every outbox row.
Task<int64_t> wait_published(MpuEnv& env) {
  co_return co_await wait_for(env, "SELECT count(*) FROM sluice.events WHERE published_at IS NULL", 0);
}

Task<std::string> file_id_named(MpuEnv& env, std::string name) {
  co_return co_await env.text("SELECT id::text FROM sluice.files WHERE name = '" + name + "'");
}

// Sends the head of a request and `sent` bytes of its body, then leaves the connection open.
Task<std::unique_ptr<RawHttpClient>> start_request(MpuEnv& env, std::string head, std::string partial_body) {
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  EXPECT_TRUE(c.ok());
  if (!c.ok()) co_return nullptr;
  (void)co_await (*c)->send(std::move(head) + "\r\n" + partial_body);
  co_return std::move(*c);
}

// What a test expects of one event.
struct Expected {
  std::string type, subject, reason, upload_id, name, owner;
};

// Checks the CloudEvents envelope of every message of `events` against `want` (by subject):
// each expected subject arrives exactly once, and nothing else of these types does.
void expect_envelopes(const std::vector<StoredEvent>& events, const std::string& stream,
                      const std::map<std::string, std::vector<Expected>>& want_by_type) {
  simdjson::dom::parser parser;
  std::map<std::string, std::map<std::string, int>> seen;  // type -> subject -> count
  std::set<std::string> ids;
  for (const auto& e : events) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(e.data).get(doc), simdjson::SUCCESS) << e.data;
    std::string type{std::string_view(doc["type"])};
    if (!want_by_type.count(type)) continue;
    EXPECT_TRUE(ids.insert(e.msg_id).second) << "twice: " << e.msg_id;
    EXPECT_EQ(e.subject, "t." + stream + "." + type.substr(std::string("sluice.").size()));
    EXPECT_EQ(std::string_view(doc["specversion"]), "1.0");
    EXPECT_EQ(std::string_view(doc["id"]), e.msg_id);
    EXPECT_EQ(std::string_view(doc["source"]), "/sluice/events-test");
    EXPECT_EQ(std::string_view(doc["datacontenttype"]), "application/json");
    std::string_view time = doc["time"];
    EXPECT_EQ(time.size(), 27u) << time;
    std::string subject{std::string_view(doc["subject"])};
    ++seen[type][subject];
    const Expected* w = nullptr;
    for (const auto& x : want_by_type.at(type))
      if (x.subject == subject) w = &x;
    if (!w) {
      ADD_FAILURE() << "unexpected " << type << " for " << subject << ": " << e.data;
      continue;
    }
    simdjson::dom::element data = doc["data"];
    EXPECT_EQ(std::string_view(data["owner"]), w->owner) << e.data;
    if (type == "sluice.upload.aborted") {
      EXPECT_EQ(std::string_view(data["reason"]), w->reason) << e.data;
      EXPECT_EQ(std::string_view(data["name"]), w->name) << e.data;
      std::string_view upload_id;
      if (w->upload_id.empty()) EXPECT_TRUE(data["uploadId"].is_null()) << e.data;
      else if (data["uploadId"].get(upload_id) == simdjson::SUCCESS) EXPECT_EQ(upload_id, w->upload_id) << e.data;
      else ADD_FAILURE() << "no uploadId: " << e.data;
    }
  }
  for (const auto& [type, list] : want_by_type)
    for (const auto& w : list) EXPECT_EQ(seen[type][w.subject], 1) << type << " for " << w.name << " " << w.subject;
}

TEST(RelayedEventsApi, UploadsEndingWithoutAFileAreAnnouncedOnce) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  std::vector<Expected> aborted;
  std::string kept_id;
  with_mpu_env(
      "local",
      [&](MpuEnv& env) -> Task<void> {
        // Each case its own user: the free tier allows two uploads at a time.
        auto user = [&env](const char* n) { return env.user(n); };
        auto add = [&aborted](std::string id, std::string reason, std::string upload, std::string name,
                              std::string owner) {
          EXPECT_FALSE(id.empty()) << name;
          aborted.push_back({"sluice.upload.aborted", id, reason, upload, name, owner});
        };

        // 1. A stalled PUT the janitor fails (its process looks dead); its client hangs up later,
        //    and the request's own failure then finds nothing left to fail.
        std::string stall_tok = token_for(user("stall"));
        auto stalled = co_await start_request(env,
                                              "PUT /v1/files/content?name=stalled.bin HTTP/1.1\r\nHost: t\r\n"
                                              "Authorization: Bearer " + stall_tok + "\r\nContent-Length: 100000\r\n",
                                              std::string(1000, 's'));
        EXPECT_EQ(co_await wait_for(env, "SELECT count(*) FROM sluice.files WHERE name = 'stalled.bin'", 1), 1);
        (void)co_await env.scalar(
            "UPDATE sluice.files SET updated_at = now() - interval '2 hours' WHERE name = 'stalled.bin' RETURNING 0");

        // 2. A session the client stops heart-beating.
        std::string silent_tok = token_for(user("silent"));
        Initiated silent = co_await env.initiate(silent_tok, "silent.bin", kSize, kPart);
        EXPECT_EQ(silent.status, 201) << silent.body;
        (void)co_await env.scalar("UPDATE sluice.uploads SET heartbeat_at = now() - interval '20 minutes' WHERE id = '" +
                                  silent.upload_id + "' RETURNING 0");
        Janitor janitor = env.janitor(15min, 1h);
        JanitorReport report = co_await janitor.run_once();
        EXPECT_EQ(report.stale_sessions, 1u);
        EXPECT_EQ(report.orphan_uploads, 1u);
        add(co_await file_id_named(env, "stalled.bin"), "failed", "", "stalled.bin", user("stall"));
        add(silent.file_id, "aborted", silent.upload_id, "silent.bin", user("silent"));
        if (stalled) co_await stalled->close();

        // 3. A session the client deletes (twice: the second DELETE changes nothing).
        std::string del_tok = token_for(user("deleter"));
        Initiated del = co_await env.initiate(del_tok, "deleted.bin", kSize, kPart);
        EXPECT_EQ(del.status, 201) << del.body;
        EXPECT_EQ((co_await env.req("DELETE", "/v1/uploads/" + del.upload_id, del_tok)).status, 204);
        EXPECT_EQ((co_await env.req("DELETE", "/v1/uploads/" + del.upload_id, del_tok)).status, 204);
        add(del.file_id, "aborted", del.upload_id, "deleted.bin", user("deleter"));

        // 4. A PUT refused for its checksum.
        std::string sum_tok = token_for(user("summer"));
        auto bad = co_await env.req("PUT", "/v1/files/content?name=sum.bin", sum_tok, "hello",
                                    "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n");
        EXPECT_EQ(bad.status, 400) << bad.body;
        add(co_await file_id_named(env, "sum.bin"), "failed", "", "sum.bin", user("summer"));

        // 5. A PUT whose client hangs up half-way through the body.
        std::string half_tok = token_for(user("quitter"));
        auto half = co_await start_request(env,
                                           "PUT /v1/files/content?name=half.bin HTTP/1.1\r\nHost: t\r\n"
                                           "Authorization: Bearer " + half_tok + "\r\nContent-Length: 1000000\r\n",
                                           std::string(300000, 'h'));
        EXPECT_EQ(co_await wait_for(env, "SELECT count(*) FROM sluice.files WHERE name = 'half.bin'", 1), 1);
        if (half) co_await half->close();

        // 6. A form upload whose client hangs up in the middle of the file.
        std::string form_tok = token_for(user("former"));
        const std::string boundary = "----sluice-events-test";
        std::string form_head = "--" + boundary +
                                "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n"
                                "Content-Type: application/octet-stream\r\n\r\n";
        auto cut = co_await start_request(
            env,
            "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + form_tok +
                "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: 2000000\r\n",
            form_head + std::string(200000, 'c'));
        EXPECT_EQ(co_await wait_for(env, "SELECT count(*) FROM sluice.files WHERE name = 'cut.bin'", 1), 1);
        if (cut) co_await cut->close();

        // A committed upload: file.uploaded only.
        auto ok = co_await env.req("PUT", "/v1/files/content?name=kept.bin", token_for(user("keeper")), "kept");
        EXPECT_EQ(ok.status, 201) << ok.body;
        kept_id = json_str(ok.body, "id");

        EXPECT_EQ(co_await wait_for(env, "SELECT count(*) FROM sluice.files WHERE status = 'failed'", 6), 6);
        add(co_await file_id_named(env, "half.bin"), "failed", "", "half.bin", user("quitter"));
        add(co_await file_id_named(env, "cut.bin"), "failed", "", "cut.bin", user("former"));
        // Each failed file has exactly one event in the outbox, and the kept one none.
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'upload.aborted'"), 6);
        EXPECT_EQ(co_await env.scalar("SELECT count(DISTINCT aggregate_id) FROM sluice.events "
                                      "WHERE kind = 'upload.aborted' AND aggregate_id IN "
                                      "(SELECT id::text FROM sluice.files WHERE status = 'failed')"),
                  6);
        EXPECT_EQ(co_await wait_published(env), 0);
      },
      publishing_to(nats, "ABORTED"));
  ASSERT_EQ(aborted.size(), 6u);
  auto events = read_stream(nats.url(), "ABORTED");
  EXPECT_EQ(events.size(), 7u);  // six upload.aborted, one file.uploaded
  int uploaded_seen = 0;
  for (const auto& e : events)
    if (e.subject == "t.ABORTED.file.uploaded") {
      ++uploaded_seen;
      EXPECT_NE(e.data.find(kept_id), std::string::npos) << e.data;
    }
  EXPECT_EQ(uploaded_seen, 1);
  expect_envelopes(events, "ABORTED", {{"sluice.upload.aborted", aborted}});
}

TEST(RelayedEventsApi, ShareEventsArriveOnceWithTheirEnvelope) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  std::string owner, share_id, other_id, file_id, token;
  with_mpu_env(
      "local",
      [&](MpuEnv& env) -> Task<void> {
        owner = env.user("sharer");
        std::string tok = token_for(owner);
        auto up = co_await env.req("PUT", "/v1/files/content?name=shared.txt", tok, "shared bytes",
                                   "Content-Type: text/plain\r\n");
        EXPECT_EQ(up.status, 201) << up.body;
        file_id = json_str(up.body, "id");
        auto made = co_await env.req("POST", "/v1/files/" + file_id + "/shares", tok, "{\"maxDownloads\":2}",
                                     "Content-Type: application/json\r\n");
        EXPECT_EQ(made.status, 201) << made.body;
        share_id = json_str(made.body, "id");
        token = json_str(made.body, "token");
        std::string base = "/public/v1/shares/" + token;
        // Metadata is not an access; each counted download is; one past the limit is refused.
        EXPECT_EQ((co_await env.req("GET", base, "")).status, 200);
        EXPECT_EQ((co_await env.req("GET", base + "/content", "")).status, 200);
        EXPECT_EQ((co_await env.req("GET", base + "/content", "")).status, 200);
        EXPECT_NE((co_await env.req("GET", base + "/content", "")).status, 200);
        // A second share, revoked (twice: the second is a 404 and no event).
        auto other = co_await env.req("POST", "/v1/files/" + file_id + "/shares", tok, "{}",
                                      "Content-Type: application/json\r\n");
        EXPECT_EQ(other.status, 201) << other.body;
        other_id = json_str(other.body, "id");
        EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + other_id, tok)).status, 204);
        EXPECT_EQ((co_await env.req("DELETE", "/v1/shares/" + other_id, tok)).status, 404);
        EXPECT_EQ(co_await wait_published(env), 0);
      },
      publishing_to(nats, "SHARES"));
  ASSERT_FALSE(share_id.empty());
  ASSERT_FALSE(token.empty());
  auto events = read_stream(nats.url(), "SHARES");
  // file.uploaded, share.created x2, share.accessed x2, share.revoked.
  ASSERT_EQ(events.size(), 6u);
  simdjson::dom::parser parser;
  std::map<std::string, std::vector<int64_t>> counts_of;  // type -> downloadCount, in stream order
  std::vector<std::string> order_of_first;                // the first share's event types, in order
  std::set<std::string> ids;
  for (const auto& e : events) {
    EXPECT_EQ(e.data.find(token), std::string::npos) << "the token went out: " << e.data;
    EXPECT_TRUE(ids.insert(e.msg_id).second) << "twice: " << e.msg_id;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(e.data).get(doc), simdjson::SUCCESS) << e.data;
    std::string type{std::string_view(doc["type"])};
    if (type == "sluice.file.uploaded") continue;
    EXPECT_EQ(std::string_view(doc["specversion"]), "1.0");
    EXPECT_EQ(std::string_view(doc["id"]), e.msg_id);
    EXPECT_EQ(std::string_view(doc["source"]), "/sluice/events-test");
    EXPECT_EQ(e.subject, "t.SHARES." + type.substr(std::string("sluice.").size()));
    std::string subject{std::string_view(doc["subject"])};
    EXPECT_TRUE(subject == share_id || subject == other_id) << subject;
    EXPECT_EQ(std::string_view(doc["data"]["owner"]), owner);
    EXPECT_EQ(std::string_view(doc["data"]["fileId"]), file_id);
    int64_t count = -1;
    EXPECT_EQ(doc["data"]["downloadCount"].get(count), simdjson::SUCCESS) << e.data;
    if (subject == share_id) {
      order_of_first.push_back(type);
      counts_of[type].push_back(count);
      int64_t max = -1;
      EXPECT_EQ(doc["data"]["maxDownloads"].get(max), simdjson::SUCCESS) << e.data;
      EXPECT_EQ(max, 2);
    } else {
      counts_of[type + " (other)"].push_back(count);
      EXPECT_TRUE(doc["data"]["maxDownloads"].is_null()) << e.data;
    }
  }
  EXPECT_EQ(order_of_first,
            (std::vector<std::string>{"sluice.share.created", "sluice.share.accessed", "sluice.share.accessed"}));
  EXPECT_EQ(counts_of["sluice.share.created"], std::vector<int64_t>{0});
  EXPECT_EQ(counts_of["sluice.share.accessed"], (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(counts_of["sluice.share.created (other)"], std::vector<int64_t>{0});
  EXPECT_EQ(counts_of["sluice.share.revoked (other)"], std::vector<int64_t>{0});
}

}  // namespace
}  // namespace sluice
