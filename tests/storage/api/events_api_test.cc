// End to end: uploads through the running service reach JetStream as CloudEvents (the relay
// inside `sluice serve` publishes them, off the reactor), /metrics counts them and
// /health/ready reports NATS without ever gating on it.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

#include "core/cancellable_op.h"
#include "storage/api/ops_routes.h"
#include "tests/storage/service/events/nats_test_server.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::HarnessOptions;
using testing::json_field;
using testing::NatsTestServer;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::token_for;
using testing::with_service;

int64_t metric(const std::string& text, const std::string& name) {
  size_t p = 0;
  while ((p = text.find(name + " ", p)) != std::string::npos) {
    if (p == 0 || text[p - 1] == '\n') return std::stoll(text.substr(p + name.size() + 1));
    p += name.size();
  }
  return -1;
}

// Waits on the reactor (the relay is another thread) until the outbox has nothing queued.
Task<int64_t> wait_published(ServiceEnv& env) {
  CancellableOp nap(env.r);
  int64_t queued = -1;
  for (int i = 0; i < 1000; ++i) {
    queued = co_await env.scalar("SELECT count(*) FROM sluice.events WHERE published_at IS NULL");
    if (queued == 0) break;
    (void)co_await nap.sleep_for(20ms);
  }
  co_return queued;
}

TEST(EventsApi, UploadsArriveInJetStreamAndAreCounted) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  std::set<std::string> file_ids;
  HarnessOptions o;
  o.tweak = [&nats](ServiceConfig& c) {
    c.nats_url = nats.url();
    c.events_stream = "UPLOADS";
    c.events_prefix = "up.events";
    c.events_source = "/sluice/harness";
  };
  with_service(
      [&file_ids](ServiceEnv& env) -> Task<void> {
        std::string token = token_for(env.user("events"));
        for (int i = 0; i < 20; ++i) {
          std::string name = "e" + std::to_string(i) + ".txt";
          std::string body = "event body " + std::to_string(i);
          RawResponse up = co_await env.upload(token, name, body);
          EXPECT_EQ(up.status, 201) << up.body;
          file_ids.insert(json_field(up.body, "id"));
        }
        EXPECT_EQ(co_await wait_published(env), 0);
        RawResponse ready = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(ready.status, 200) << ready.body;
        EXPECT_NE(ready.body.find("\"nats\":\"up\""), std::string::npos) << ready.body;
        RawResponse m = co_await env.request("GET", "/metrics", "");
        EXPECT_EQ(metric(m.body, "sluice_events_published_total"), 20) << m.body;
        EXPECT_EQ(metric(m.body, "sluice_events_relay_leader"), 1);
        EXPECT_EQ(metric(m.body, "sluice_events_nats_connected"), 1);
        EXPECT_EQ(metric(m.body, "sluice_events_dead_lettered_total"), 0);
        EXPECT_GE(metric(m.body, "sluice_events_outbox_depth"), 0);
      },
      o);
  auto events = testing::read_stream(nats.url(), "UPLOADS");
  ASSERT_EQ(events.size(), 20u);
  simdjson::dom::parser parser;
  std::set<std::string> subjects;
  for (const auto& e : events) {
    EXPECT_EQ(e.subject, "up.events.file.uploaded");
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(e.data).get(doc), simdjson::SUCCESS) << e.data;
    EXPECT_EQ(std::string_view(doc["type"]), "sluice.file.uploaded");
    EXPECT_EQ(std::string_view(doc["source"]), "/sluice/harness");
    EXPECT_EQ(std::string_view(doc["id"]), e.msg_id);
    std::string_view subject = doc["subject"];
    subjects.insert(std::string(subject));
    std::string_view name = doc["data"]["name"];
    EXPECT_TRUE(name.starts_with("e")) << name;
  }
  EXPECT_EQ(subjects, file_ids);
}

TEST(EventsApi, NatsDownNeitherFailsUploadsNorReadiness) {
  NatsTestServer nats;  // never started: nothing listens on its port
  HarnessOptions o;
  o.tweak = [&nats](ServiceConfig& c) {
    c.nats_url = nats.url();
    c.events_stream = "DOWN";
  };
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string token = token_for(env.user("down"));
        for (int i = 0; i < 5; ++i) {
          RawResponse up = co_await env.upload(token, "d" + std::to_string(i) + ".txt", "x");
          EXPECT_EQ(up.status, 201) << up.body;
        }
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE published_at IS NULL"), 5);
        RawResponse ready = co_await env.request("GET", "/health/ready", "");
        EXPECT_EQ(ready.status, 200) << ready.body;
        EXPECT_EQ(ready.body.find("\"nats\":\"up\""), std::string::npos) << ready.body;
        RawResponse m = co_await env.request("GET", "/metrics", "");
        EXPECT_EQ(metric(m.body, "sluice_events_nats_connected"), 0);
        EXPECT_EQ(metric(m.body, "sluice_events_published_total"), 0);
      },
      o);
}

}  // namespace
}  // namespace sluice
