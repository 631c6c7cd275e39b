// End to end: uploads through the running service reach JetStream as CloudEvents (the relay
// inside `sluice serve` publishes them, off the reactor), /metrics counts them and
// /health/ready reports NATS without ever gating on it.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
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

// 3,000 uploads; NATS is kill -9'd after the first 1,000 and restarted after the second: every
// upload succeeds, their latency does not follow NATS, and every event is in the stream once.
TEST(EventsApi, NatsKilledAndRestartedDuringUploads) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  HarnessOptions o;
  o.tweak = [&nats](ServiceConfig& c) {
    c.nats_url = nats.url();
    c.events_stream = "UPCHAOS";
  };
  std::set<std::string> file_ids;
  std::vector<double> p50(3), mean(3);
  with_service(
      [&](ServiceEnv& env) -> Task<void> {
        int failed = 0;
        for (int phase = 0; phase < 3; ++phase) {
          if (phase == 1) nats.kill9();
          if (phase == 2) {
            EXPECT_TRUE(nats.start());
          }
          std::vector<double> ms;
          for (int i = 0; i < 1000; ++i) {
            std::string name = "c" + std::to_string(phase) + "-" + std::to_string(i) + ".bin";
            std::string body(512, static_cast<char>('a' + i % 26));
            // 50 files per user: the free tier allows 100.
            std::string token = token_for(env.user("chaos" + std::to_string(phase * 20 + i / 50)));
            auto t0 = Clock::now();
            RawResponse up = co_await env.upload(token, name, body);
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            if (up.status != 201) ++failed;
            file_ids.insert(json_field(up.body, "id"));
          }
          std::sort(ms.begin(), ms.end());
          p50[phase] = ms[ms.size() / 2];
          double sum = 0;
          for (double x : ms) sum += x;
          mean[phase] = sum / static_cast<double>(ms.size());
        }
        EXPECT_EQ(failed, 0);
        EXPECT_EQ(co_await wait_published(env), 0);
      },
      o);
  auto events = testing::read_stream(nats.url(), "UPCHAOS");
  std::map<std::string, int> per_id;
  for (const auto& e : events) ++per_id[e.msg_id];
  EXPECT_EQ(events.size(), 3000u);
  EXPECT_EQ(per_id.size(), 3000u);
  EXPECT_EQ(file_ids.size(), 3000u);
  // The uploads never wait for NATS: a loose bound on the mean (the figures are printed).
  EXPECT_LT(mean[1], 4 * mean[0] + 5.0);
  std::printf(
      "[ info ] upload p50/mean: NATS up %.2f/%.2f ms, NATS down %.2f/%.2f ms, NATS back %.2f/%.2f ms; "
      "%zu events, %zu distinct\n",
      p50[0], mean[0], p50[1], mean[1], p50[2], mean[2], events.size(), per_id.size());
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
