// The event relay against real PostgreSQL and a real `nats-server -js`: every event kind arrives
// once with its CloudEvents envelope, per-file order holds, a row committed late (lower id) is not
// skipped, NATS killed and restarted mid-stream loses and doubles nothing, a relay that dies
// between publish and mark is replaced and its republished copies are dropped by Nats-Msg-Id, a
// poison row is dead-lettered, and without NATS the outbox is pruned.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>

#include <map>
#include <set>

#include "db/migrations.h"
#include "db/pg_blocking_connection.h"
#include "storage/service/events/event_relay.h"
#include "tests/db/reactor_fixture.h"
#include "tests/storage/service/events/nats_test_server.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::NatsTestServer;
using testing::read_stream;
using testing::StoredEvent;

// A fresh database with every migration applied, and a blocking connection to it.
class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(testing::service_env("SLUICE_TEST_PG_URL").empty())
        << "SLUICE_TEST_PG_URL is not set (run tools/test)";
    db_ = std::make_unique<testing::ScopedTestDatabase>("events");
    ASSERT_TRUE(db_->create());
    std::string url = db_->url();
    testing::run_reactor([url](Reactor& r) -> Task<void> {
      PgOptions po;
      po.url = url;
      po.connections = 1;
      PgPool pool(r, po);
      Status st = co_await pool.start();
      EXPECT_TRUE(st.ok());
      auto m = co_await apply_migrations(pool);
      EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
      co_await pool.close();
    });
    ASSERT_TRUE(pg_.connect(url).ok());
  }

  EventRelayOptions relay_options(const std::string& nats_url, const std::string& stream) {
    EventRelayOptions o;
    o.pg_url = db_->url();
    o.nats_url = nats_url;
    o.stream = stream;
    o.subject_prefix = "t." + stream;
    o.source = "/sluice/test";
    o.ack_wait = 1s;
    o.lock_retry = 100ms;
    o.poll_interval = 20ms;
    o.max_backoff = 500ms;
    o.stats_interval = 200ms;
    return o;
  }

  int64_t scalar(const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) {
    auto r = pg_.exec(sql, params);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok() || r->rows() == 0) return -1;
    auto v = r->int64(0, 0);
    return v.ok() ? *v : -1;
  }

  // Inserts `n` events of `kind` for `aggregate` in one transaction; their ids.
  std::vector<int64_t> insert_events(const std::string& kind, const std::string& aggregate, int n,
                                     PgBlockingConnection* on = nullptr) {
    auto r =
        (on ? on : &pg_)
            ->exec(
                "INSERT INTO sluice.events (kind, aggregate_id, payload) "
                "SELECT $1, $2, jsonb_build_object('owner', 'u1', 'size', g, 'name', 'f' || g || '.txt', 'path', '/') "
                "FROM generate_series(1, $3::int) g RETURNING id",
                {kind, aggregate, std::to_string(n)});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<int64_t> ids;
    if (r.ok())
      for (int i = 0; i < r->rows(); ++i) ids.push_back(*r->int64(i, 0));
    return ids;
  }

  int64_t queued() {
    return scalar("SELECT count(*) FROM sluice.events WHERE published_at IS NULL AND dead_at IS NULL");
  }

  // Waits until nothing is queued (the relay drained the outbox).
  bool wait_drained(std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (queued() == 0) return true;
      std::this_thread::sleep_for(20ms);  // polling another thread's progress through the database
    }
    return false;
  }

  template <class P>
  static bool wait_until(P pred, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  std::unique_ptr<testing::ScopedTestDatabase> db_;
  PgBlockingConnection pg_;
};

// id -> how many times the stream holds it.
std::map<int64_t, int> count_by_id(const std::vector<StoredEvent>& events) {
  std::map<int64_t, int> n;
  for (const auto& e : events) ++n[std::stoll(e.msg_id)];
  return n;
}

// How many events of the stream come after a later event of the same file (0: per-file order kept).
int out_of_order(const std::vector<StoredEvent>& events) {
  simdjson::dom::parser parser;
  std::map<std::string, int64_t> last_of;
  int bad = 0;
  for (const auto& e : events) {
    simdjson::dom::element doc;
    if (parser.parse(e.data).get(doc) != simdjson::SUCCESS) return -1;
    std::string_view subject_view = doc["subject"];
    std::string subject(subject_view);
    int64_t id = std::stoll(e.msg_id);
    if (last_of[subject] > id) ++bad;
    last_of[subject] = std::max(last_of[subject], id);
  }
  return bad;
}

TEST_F(RelayTest, EveryKindArrivesOnceWithItsCloudEventsEnvelope) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  const std::vector<std::string> kinds{"file.uploaded", "file.updated", "file.trashed",
                                       "file.restored", "file.deleted", "file.expired"};
  std::map<int64_t, std::string> kind_of;
  for (const auto& k : kinds)
    for (int64_t id : insert_events(k, "0b7a2c3e-0000-4000-8000-00000000000" + std::to_string(&k - &kinds[0]), 2))
      kind_of[id] = k;
  EventRelay relay(relay_options(nats.url(), "KINDS"));
  relay.start();
  ASSERT_TRUE(wait_drained());
  relay.stop();
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice.events WHERE published_at IS NOT NULL"), 12);

  auto events = read_stream(nats.url(), "KINDS");
  ASSERT_EQ(events.size(), 12u);
  simdjson::dom::parser parser;
  std::set<int64_t> seen;
  for (const auto& e : events) {
    int64_t id = std::stoll(e.msg_id);
    ASSERT_TRUE(kind_of.count(id)) << e.msg_id;
    EXPECT_TRUE(seen.insert(id).second) << "twice: " << id;
    const std::string& kind = kind_of[id];
    EXPECT_EQ(e.subject, "t.KINDS." + kind);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(e.data).get(doc), simdjson::SUCCESS) << e.data;
    EXPECT_EQ(std::string_view(doc["specversion"]), "1.0");
    EXPECT_EQ(std::string_view(doc["id"]), e.msg_id);
    EXPECT_EQ(std::string_view(doc["source"]), "/sluice/test");
    EXPECT_EQ(std::string_view(doc["type"]), "sluice." + kind);
    EXPECT_EQ(std::string_view(doc["datacontenttype"]), "application/json");
    std::string_view subject = doc["subject"];
    EXPECT_TRUE(subject.starts_with("0b7a2c3e-")) << subject;
    std::string_view time = doc["time"];
    EXPECT_EQ(time.size(), 27u) << time;  // 2026-12-07T10:45:37.123456Z
    EXPECT_TRUE(time.ends_with("Z")) << time;
    EXPECT_EQ(std::string_view(doc["data"]["owner"]), "u1");
    EXPECT_EQ(std::string_view(doc["data"]["path"]), "/");
  }
  EXPECT_EQ(seen.size(), kind_of.size());
  EXPECT_EQ(relay.stats().published.load(), 12u);
  EXPECT_EQ(relay.stats().duplicates.load(), 0u);
}

TEST_F(RelayTest, PerFileOrderIsCommitOrderAndALateCommitIsNotSkipped) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  EventRelay relay(relay_options(nats.url(), "ORDER"));
  relay.start();
  // A transaction takes an id first and commits last: a relay reading "id > last published"
  // would skip it for good.
  PgBlockingConnection late;
  ASSERT_TRUE(late.connect(db_->url()).ok());
  ASSERT_TRUE(late.exec("BEGIN").ok());
  std::vector<int64_t> late_ids = insert_events("file.updated", "late-file", 1, &late);
  ASSERT_EQ(late_ids.size(), 1u);
  std::vector<int64_t> all;
  for (int round = 0; round < 20; ++round)
    for (const char* f : {"a", "b", "c"}) {
      auto ids = insert_events(round % 2 ? "file.updated" : "file.uploaded", f, 5);
      all.insert(all.end(), ids.begin(), ids.end());
    }
  ASSERT_TRUE(wait_drained());
  EXPECT_GT(late_ids[0], 0);
  EXPECT_LT(late_ids[0], all.front());  // the lower id, still invisible
  ASSERT_TRUE(late.exec("COMMIT").ok());
  ASSERT_TRUE(wait_drained());
  relay.stop();

  auto events = read_stream(nats.url(), "ORDER");
  ASSERT_EQ(events.size(), all.size() + 1);
  simdjson::dom::parser parser;
  std::map<std::string, int64_t> last_of;
  bool late_seen = false;
  for (const auto& e : events) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(e.data).get(doc), simdjson::SUCCESS);
    std::string_view subject_view = doc["subject"];
    std::string subject(subject_view);
    int64_t id = std::stoll(e.msg_id);
    if (id == late_ids[0]) late_seen = true;
    EXPECT_LT(last_of[subject], id) << "file " << subject << " out of order";
    last_of[subject] = id;
  }
  EXPECT_TRUE(late_seen);
  EXPECT_EQ(events.back().msg_id, std::to_string(late_ids[0]));  // published once it committed
}

TEST_F(RelayTest, NatsKilledAndRestartedMidStreamLosesAndDoublesNothing) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  EventRelayOptions o = relay_options(nats.url(), "CHAOS");
  o.batch = 500;
  o.max_pending = 128;
  EventRelay relay(o);
  relay.start();
  constexpr int kTotal = 10000, kPerTx = 50;
  std::vector<int64_t> ids;
  auto slowest_insert = Duration::zero();
  auto insert_rows = [&](int rows) {
    for (int i = 0; i < rows / kPerTx; ++i) {
      auto t0 = Clock::now();
      auto got = insert_events("file.uploaded", "f" + std::to_string(ids.size() % 17), kPerTx);
      slowest_insert = std::max(slowest_insert, Clock::now() - t0);
      ASSERT_EQ(got.size(), static_cast<size_t>(kPerTx));
      ids.insert(ids.end(), got.begin(), got.end());
    }
  };
  insert_rows(3000);
  // Killed while the relay is in the middle of the backlog (some published, some queued).
  ASSERT_TRUE(wait_until([&] { return relay.stats().published.load() > 0; }));
  nats.kill9();
  uint64_t published_before = relay.stats().published.load();
  insert_rows(4000);  // while NATS is down
  ASSERT_TRUE(wait_until([&] { return relay.stats().nats_outages.load() >= 3; }));
  ASSERT_TRUE(nats.start());
  insert_rows(3000);  // while the relay catches up
  ASSERT_TRUE(wait_drained(60s));
  relay.stop();
  EXPECT_LT(published_before, static_cast<uint64_t>(kTotal));
  auto events = read_stream(nats.url(), "CHAOS");
  auto n = count_by_id(events);
  EXPECT_EQ(events.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(n.size(), static_cast<size_t>(kTotal));
  for (int64_t id : ids) EXPECT_EQ(n[id], 1) << "id " << id;
  EXPECT_EQ(out_of_order(events), 0);
  // Writers never wait for NATS: an insert is one PostgreSQL round trip, NATS up or down.
  EXPECT_LT(slowest_insert, std::chrono::milliseconds(500));
  std::printf(
      "[ info ] 10000 events, NATS killed after %lu published and back at 7000 rows: delivered %zu, "
      "distinct %zu, outages seen %lu, unacked publishes %lu, duplicates dropped by JetStream %lu, "
      "slowest insert %.1f ms\n",
      static_cast<unsigned long>(published_before), events.size(), n.size(),
      static_cast<unsigned long>(relay.stats().nats_outages.load()),
      static_cast<unsigned long>(relay.stats().failures.load()),
      static_cast<unsigned long>(relay.stats().duplicates.load()),
      std::chrono::duration<double, std::milli>(slowest_insert).count());
}

TEST_F(RelayTest, RelayDyingBetweenPublishAndMarkIsReplacedAndDuplicatesAreDropped) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  EventRelayOptions o = relay_options(nats.url(), "FAILOVER");
  o.batch = 500;
  EventRelay first(o);
  first.crash_before_next_mark();
  first.start();
  ASSERT_TRUE(wait_until([&] { return first.stats().leader.load(); }));
  EventRelay second(o);
  second.start();
  std::vector<int64_t> ids = insert_events("file.uploaded", "x", 2000);
  // The first relay publishes 500, gets their acks, and vanishes without marking them.
  ASSERT_TRUE(wait_until([&] { return first.ended(); }));
  EXPECT_EQ(first.stats().published.load(), 0u);  // counted only once marked
  ASSERT_TRUE(wait_drained());
  EXPECT_TRUE(second.stats().leader.load());
  second.stop();
  first.stop();
  auto events = read_stream(nats.url(), "FAILOVER");
  auto n = count_by_id(events);
  EXPECT_EQ(events.size(), 2000u);
  for (int64_t id : ids) EXPECT_EQ(n[id], 1) << "id " << id;
  EXPECT_EQ(out_of_order(events), 0);
  // The second relay republished the first one's batch; JetStream acknowledged each as a duplicate.
  EXPECT_EQ(second.stats().duplicates.load(), 500u);
  EXPECT_EQ(second.stats().published.load(), 2000u);
}

TEST_F(RelayTest, PoisonRowIsDeadLetteredAndTheRestFlows) {
  NatsTestServer nats(64 * 1024);  // max_payload 64 KiB
  ASSERT_TRUE(nats.start());
  auto before = insert_events("file.uploaded", "p", 10);
  auto big = pg_.exec(
      "INSERT INTO sluice.events (kind, aggregate_id, payload) "
      "VALUES ('file.updated', 'p', jsonb_build_object('blob', repeat('x', 100000))) RETURNING id");
  ASSERT_TRUE(big.ok());
  int64_t poison = *big->int64(0, 0);
  auto sibling = insert_events("file.updated", "p", 1);  // the poison's file: waits for it
  auto after = insert_events("file.uploaded", "q", 10);
  EventRelayOptions o = relay_options(nats.url(), "POISON");
  o.max_attempts = 3;
  EventRelay relay(o);
  relay.start();
  ASSERT_TRUE(wait_drained());
  ASSERT_TRUE(wait_until([&] { return relay.stats().dead.load() == 1; }));
  relay.stop();
  EXPECT_EQ(scalar("SELECT attempts FROM sluice.events WHERE id = $1", {std::to_string(poison)}), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice.events WHERE dead_at IS NOT NULL"), 1);
  EXPECT_EQ(relay.stats().dead_lettered.load(), 1u);
  EXPECT_EQ(relay.stats().refused.load(), 3u);
  auto events = read_stream(nats.url(), "POISON");
  EXPECT_EQ(events.size(), 21u);
  auto n = count_by_id(events);
  EXPECT_EQ(n.count(poison), 0u);
  EXPECT_EQ(n[sibling[0]], 1);
  // The poison's later sibling was held until the poison died, so it is the stream's last message.
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().msg_id, std::to_string(sibling[0]));
}

TEST_F(RelayTest, WithoutNatsTheOutboxIsPrunedAfterItsRetention) {
  insert_events("file.uploaded", "old", 30);
  ASSERT_TRUE(pg_.exec("UPDATE sluice.events SET created_at = now() - interval '2 hours'").ok());
  auto young = insert_events("file.uploaded", "young", 5);
  // Published long ago, under a previous configuration with NATS.
  ASSERT_TRUE(pg_.exec("UPDATE sluice.events SET published_at = now() - interval '3 hours' WHERE id = $1",
                       {std::to_string(young[0])})
                  .ok());
  EventRelayOptions o = relay_options("", "NONE");
  o.unpublished_retention = 1h;
  o.retention = 1h;
  EventRelay relay(o);
  relay.start();
  ASSERT_TRUE(wait_until([&] { return relay.stats().pruned.load() == 31; }));
  relay.stop();
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice.events"), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice.events WHERE aggregate_id = 'young' AND published_at IS NULL"), 4);
}

// Two `sluice relay` processes; the active one is kill -9'd in the middle of a backlog. The
// standby takes the lock once PostgreSQL notices the dead session, republishes what the dead one
// had published but not marked, and JetStream drops those copies by Nats-Msg-Id.
TEST_F(RelayTest, SluiceRelayProcessKilledMidBacklogIsReplaced) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  std::vector<std::string> env{"SLUICE_PG_URL=" + db_->url(), "SLUICE_NATS_URL=" + nats.url(),
                               "SLUICE_EVENTS_STREAM=KILL", "SLUICE_EVENTS_PREFIX=t.KILL", "SLUICE_LOG_LEVEL=warn"};
  auto spawn_relay = [&env]() -> pid_t {
    std::vector<std::string> argv{SLUICE_BINARY, "relay"};
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> all;
    for (char** e = environ; *e; ++e) all.emplace_back(*e);
    for (const auto& x : env) all.push_back(x);
    for (auto& x : all) envp.push_back(x.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, SLUICE_BINARY, nullptr, nullptr, args.data(), envp.data()), 0);
    return pid;
  };
  auto published = [&] { return scalar("SELECT count(*) FROM sluice.events WHERE published_at IS NOT NULL"); };
  std::vector<int64_t> ids = insert_events("file.uploaded", "warm", 10);
  pid_t first = spawn_relay();
  ASSERT_TRUE(wait_until([&] { return published() == 10; }));  // the first one leads
  pid_t second = spawn_relay();
  for (int i = 0; i < 20; ++i) {
    auto more = insert_events("file.uploaded", "k" + std::to_string(i % 5), 1000);
    ids.insert(ids.end(), more.begin(), more.end());
  }
  ASSERT_TRUE(wait_until([&] { return published() > 2000; }));
  ::kill(first, SIGKILL);
  ::waitpid(first, nullptr, 0);
  int64_t at_kill = published();
  ASSERT_TRUE(wait_drained(60s));
  ::kill(second, SIGTERM);
  ::waitpid(second, nullptr, 0);
  auto events = read_stream(nats.url(), "KILL");
  auto n = count_by_id(events);
  EXPECT_EQ(events.size(), ids.size());
  for (int64_t id : ids) EXPECT_EQ(n[id], 1) << "id " << id;
  EXPECT_EQ(out_of_order(events), 0);
  std::printf(
      "[ info ] relay process kill -9'd with %ld of %zu rows marked; the standby delivered the rest; the "
      "stream holds %zu messages, %zu distinct\n",
      static_cast<long>(at_kill), ids.size(), events.size(), n.size());
  EXPECT_LT(at_kill, static_cast<int64_t>(ids.size()));
}

TEST_F(RelayTest, OnlyOneRelayPublishesAtATime) {
  NatsTestServer nats;
  ASSERT_TRUE(nats.start());
  EventRelayOptions o = relay_options(nats.url(), "ONE");
  EventRelay a(o), b(o);
  a.start();
  ASSERT_TRUE(wait_until([&] { return a.stats().leader.load(); }));
  b.start();
  insert_events("file.uploaded", "z", 300);
  ASSERT_TRUE(wait_drained());
  // (The counter moves just after the mark commits.)
  EXPECT_TRUE(wait_until([&] { return a.stats().published.load() == 300u; }));
  EXPECT_FALSE(b.stats().leader.load());
  EXPECT_EQ(b.stats().published.load(), 0u);
  a.stop();  // releases the lock: b takes over
  ASSERT_TRUE(wait_until([&] { return b.stats().leader.load(); }));
  insert_events("file.uploaded", "z", 10);
  ASSERT_TRUE(wait_drained());
  b.stop();
  EXPECT_EQ(b.stats().published.load(), 10u);
  EXPECT_EQ(read_stream(nats.url(), "ONE").size(), 310u);
}

}  // namespace
}  // namespace sluice
