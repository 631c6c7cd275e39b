// events_relay_bench: how fast the event relay drains an outbox backlog into NATS JetStream,
// next to references measured in the same run with the same client (nats.c):
//   raw      a tight js_PublishAsync loop (window W), no PostgreSQL: the ceiling
//   relay    EventRelay draining N outbox rows (read, publish W pipelined, mark by id)
//   relay/1  the same with one publish in flight (a round trip per event), on N/50 rows
//   lag      commit -> subscriber receipt, p50/p99, while rows are committed one per
//            transaction at a fixed rate (the relay polls every 50 ms when caught up)
// Needs a migrated database it may fill and empty (bench/events_relay.sh makes one) and a
// nats-server -js. Usage:
//   events_relay_bench --pg-url URL --nats-url URL [--rows N] [--window W] [--batch B] [--lag-rate R] [--lag-seconds S]
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/pg_blocking_connection.h"
#include "storage/service/events/event_relay.h"

using namespace sluice;
using namespace std::chrono_literals;
using BenchClock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string pg_url, nats_url;
  int64_t rows = 1000000;
  int window = 256;
  int batch = 1000;
  int lag_rate = 1000;
  int lag_seconds = 10;
};

double secs_since(BenchClock::time_point t0) { return std::chrono::duration<double>(BenchClock::now() - t0).count(); }

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "events_relay_bench: %s\n", what);
    std::exit(1);
  }
}

// A body the size of a real event (CloudEvents envelope of a file.uploaded row, ~420 bytes).
std::string sample_body() {
  return R"({"specversion":"1.0","id":"123456","source":"/sluice/bench","type":"sluice.file.uploaded",)"
         R"("time":"2026-12-07T10:45:37.123456Z","subject":"0b7a2c3e-1d2f-4a5b-8c9d-0e1f2a3b4c5d",)"
         R"("datacontenttype":"application/json","data":{"owner":"user-1234","size":123456,)"
         R"("key":"u/user-1234/2026/12/0b7a2c3e-1d2f-4a5b-8c9d-0e1f2a3b4c5d","path":"/photos/2026",)"
         R"("name":"holiday-0001.jpg","contentType":"image/jpeg"}})";
}

void add_stream(jsCtx* js, const char* name, const char* subjects) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name;
  const char* subj[] = {subjects};
  cfg.Subjects = subj;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Duplicates = 600LL * 1000000000LL;
  js_DeleteStream(js, name, nullptr, nullptr);
  must(js_AddStream(nullptr, js, &cfg, nullptr, nullptr) == NATS_OK, "cannot create the raw stream");
}

std::atomic<int64_t> g_raw_acked{0};
void raw_ack(jsCtx*, natsMsg* m, jsPubAck*, jsPubAckErr*, void*) {
  ++g_raw_acked;
  natsMsg_Destroy(m);
}

// The ceiling: N async publishes of one body with W acks in flight, Nats-Msg-Id set as the relay does.
double raw_publish_rate(const Args& a, int64_t n) {
  natsConnection* nc = nullptr;
  must(natsConnection_ConnectTo(&nc, a.nats_url.c_str()) == NATS_OK, "cannot connect to NATS");
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = a.window;
  jo.PublishAsync.AckHandler = raw_ack;
  jo.PublishAsync.StallWait = 5000;
  jsCtx* js = nullptr;
  must(natsConnection_JetStream(&js, nc, &jo) == NATS_OK, "no JetStream");
  add_stream(js, "BENCH_RAW", "bench.raw.>");
  std::string body = sample_body();
  g_raw_acked = 0;
  auto t0 = BenchClock::now();
  for (int64_t i = 1; i <= n; ++i) {
    std::string id = std::to_string(i);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    natsMsg* m = nullptr;
    natsMsg_Create(&m, "bench.raw.file.uploaded", nullptr, body.data(), static_cast<int>(body.size()));
    natsStatus s = js_PublishMsgAsync(js, &m, &po);
    natsMsg_Destroy(m);
    must(s == NATS_OK, "raw publish failed");
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = 60000;
  js_PublishAsyncComplete(js, &wait);
  double rate = static_cast<double>(g_raw_acked.load()) / secs_since(t0);
  js_DeleteStream(js, "BENCH_RAW", nullptr, nullptr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return rate;
}

void fill_outbox(PgBlockingConnection& pg, int64_t n) {
  must(pg.exec("TRUNCATE sluice.events").ok(), "TRUNCATE failed");
  for (int64_t done = 0; done < n;) {
    int64_t chunk = std::min<int64_t>(100000, n - done);
    auto r = pg.exec(
        "INSERT INTO sluice.events (kind, aggregate_id, payload) "
        "SELECT 'file.uploaded', md5(g::text), jsonb_build_object('owner', 'user-1234', 'size', g, "
        "'key', 'u/user-1234/2026/12/' || md5(g::text), 'path', '/photos/2026', 'name', 'holiday-' || g || '.jpg', "
        "'contentType', 'image/jpeg') FROM generate_series(1, $1::int) g",
        {std::to_string(chunk)});
    must(r.ok(), "INSERT failed");
    done += chunk;
  }
  must(pg.exec("VACUUM ANALYZE sluice.events").ok(), "VACUUM failed");
}

EventRelayOptions relay_options(const Args& a, const std::string& stream, int window) {
  EventRelayOptions o;
  o.pg_url = a.pg_url;
  o.nats_url = a.nats_url;
  o.stream = stream;
  o.subject_prefix = "bench." + stream;
  o.source = "/sluice/bench";
  o.max_pending = window;
  o.batch = a.batch;
  o.stats_interval = 3600s;  // no count(*) during the measurement
  o.prune_interval = 3600s;
  o.retention = 24h;
  return o;
}

// Rows/s of an EventRelay draining a backlog of n rows.
double relay_rate(const Args& a, PgBlockingConnection& pg, int64_t n, int window, const std::string& stream) {
  fill_outbox(pg, n);
  EventRelay relay(relay_options(a, stream, window));
  auto t0 = BenchClock::now();
  relay.start();
  while (relay.stats().published.load() < static_cast<uint64_t>(n)) {
    std::this_thread::sleep_for(5ms);
    if (secs_since(t0) > 3600) must(false, "the relay did not drain within an hour");
  }
  double rate = static_cast<double>(n) / secs_since(t0);
  relay.stop();
  return rate;
}

struct Lag {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  size_t samples = 0;
};

// Commit -> receipt by a plain subscriber on the relay's subjects.
Lag commit_to_subscriber(const Args& a, PgBlockingConnection& pg) {
  must(pg.exec("TRUNCATE sluice.events").ok(), "TRUNCATE failed");
  EventRelayOptions o = relay_options(a, "BENCH_LAG", a.window);
  std::mutex mu;
  std::map<int64_t, BenchClock::time_point> committed, received;
  natsConnection* nc = nullptr;
  must(natsConnection_ConnectTo(&nc, a.nats_url.c_str()) == NATS_OK, "cannot connect to NATS");
  natsSubscription* sub = nullptr;
  std::string subj = o.subject_prefix + ".>";
  must(natsConnection_SubscribeSync(&sub, nc, subj.c_str()) == NATS_OK, "cannot subscribe");
  natsSubscription_SetPendingLimits(sub, -1, -1);
  EventRelay relay(o);
  relay.start();
  std::this_thread::sleep_for(500ms);  // leader, stream created
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      natsMsg* m = nullptr;
      if (natsSubscription_NextMsg(&m, sub, 200) != NATS_OK) continue;
      auto now = BenchClock::now();
      const char* id = nullptr;
      if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) {
        std::lock_guard lock(mu);
        received.emplace(std::strtoll(id, nullptr, 10), now);
      }
      natsMsg_Destroy(m);
    }
  });
  auto period = std::chrono::nanoseconds(1000000000LL / std::max(1, a.lag_rate));
  auto next = BenchClock::now();
  int64_t total = static_cast<int64_t>(a.lag_rate) * a.lag_seconds;
  for (int64_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(next);
    next += period;
    auto r = pg.exec(
        "INSERT INTO sluice.events (kind, aggregate_id, payload) VALUES ('file.uploaded', 'lag', '{\"n\":1}') "
        "RETURNING id");
    auto t = BenchClock::now();  // autocommit: the INSERT has committed
    must(r.ok(), "INSERT failed");
    std::lock_guard lock(mu);
    committed.emplace(*r->int64(0, 0), t);
  }
  auto t0 = BenchClock::now();
  while (secs_since(t0) < 10) {
    {
      std::lock_guard lock(mu);
      if (received.size() >= committed.size()) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  done = true;
  reader.join();
  relay.stop();
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  std::vector<double> lags;
  for (const auto& [id, t] : committed) {
    auto it = received.find(id);
    if (it != received.end()) lags.push_back(std::chrono::duration<double, std::milli>(it->second - t).count());
  }
  Lag l;
  l.samples = lags.size();
  if (lags.empty()) return l;
  std::sort(lags.begin(), lags.end());
  l.p50_ms = lags[lags.size() / 2];
  l.p99_ms = lags[std::min(lags.size() - 1, lags.size() * 99 / 100)];
  l.max_ms = lags.back();
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--pg-url") a.pg_url = v;
    else if (k == "--nats-url") a.nats_url = v;
    else if (k == "--rows") a.rows = std::atoll(v.c_str());
    else if (k == "--window") a.window = std::atoi(v.c_str());
    else if (k == "--batch") a.batch = std::atoi(v.c_str());
    else if (k == "--lag-rate") a.lag_rate = std::atoi(v.c_str());
    else if (k == "--lag-seconds") a.lag_seconds = std::atoi(v.c_str());
    else must(false, "unknown flag");
  }
  must(!a.pg_url.empty() && !a.nats_url.empty(), "--pg-url and --nats-url are required");
  PgBlockingConnection pg;
  must(pg.connect(a.pg_url).ok(), "cannot connect to PostgreSQL");

  double raw = raw_publish_rate(a, a.rows);
  std::printf("raw js_PublishAsync, window %d:          %10.0f msgs/s (%lld msgs)\n", a.window, raw,
              static_cast<long long>(a.rows));
  std::fflush(stdout);
  auto t0 = BenchClock::now();
  double relay = relay_rate(a, pg, a.rows, a.window, "BENCH_RELAY");
  std::printf("relay, window %d, batch %d, backlog %lld: %10.0f events/s (%.0f%% of raw; fill+drain %.1f s)\n",
              a.window, a.batch, static_cast<long long>(a.rows), relay, 100.0 * relay / raw, secs_since(t0));
  std::fflush(stdout);
  int64_t small = std::max<int64_t>(1000, a.rows / 50);
  double one = relay_rate(a, pg, small, 1, "BENCH_RELAY1");
  std::printf("relay, window 1, backlog %lld:           %10.0f events/s\n", static_cast<long long>(small), one);
  std::fflush(stdout);
  Lag l = commit_to_subscriber(a, pg);
  std::printf("lag commit -> subscriber at %d rows/s:   p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu samples)\n",
              a.lag_rate, l.p50_ms, l.p99_ms, l.max_ms, l.samples);
  (void)pg.exec("TRUNCATE sluice.events");
  return 0;
}
