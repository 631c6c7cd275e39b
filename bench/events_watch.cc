// events_watch: what a subscriber of Sluice's events sees, for the event benchmarks.
//   events_watch lag   --nats-url URL [--subject S]   subscribes (plain NATS) to S (default
//       sluice.events.>) until SIGINT/SIGTERM, then prints one line: received, distinct ids,
//       and the lag from each event's CloudEvents `time` (the commit's transaction time, written
//       in the outbox row) to its receipt: p50, p99, max in ms. Clocks: the same machine.
//   events_watch count --nats-url URL [--stream S]    reads the whole JetStream stream S (default
//       SLUICE_EVENTS) and prints: messages, distinct Nats-Msg-Ids, ids stored more than once.
#include <nats/nats.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "events_watch: %s\n", what);
    std::exit(1);
  }
}

// "2026-12-07T10:45:37.123456Z" -> microseconds since the epoch (0: not that form).
int64_t event_time_us(std::string_view body) {
  constexpr std::string_view key = "\"time\":\"";
  size_t p = body.find(key);
  if (p == std::string_view::npos || body.size() < p + key.size() + 27) return 0;
  std::string t(body.substr(p + key.size(), 27));
  std::tm tm{};
  if (::strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr || t[19] != '.') return 0;
  int64_t us = std::atoll(t.substr(20, 6).c_str());
  return static_cast<int64_t>(::timegm(&tm)) * 1000000 + us;
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double pct(const std::vector<double>& sorted, int p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, sorted.size() * static_cast<size_t>(p) / 100)];
}

int lag(const std::string& url, const std::string& subject) {
  natsOptions* opts = nullptr;
  must(natsOptions_Create(&opts) == NATS_OK, "natsOptions_Create");
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetMaxReconnect(opts, -1);  // a benchmark may kill and restart the server
  natsOptions_SetReconnectWait(opts, 100);
  natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  natsConnection* nc = nullptr;
  must(natsConnection_Connect(&nc, opts) == NATS_OK, "cannot connect to NATS");
  natsSubscription* sub = nullptr;
  must(natsConnection_SubscribeSync(&sub, nc, subject.c_str()) == NATS_OK, "cannot subscribe");
  natsSubscription_SetPendingLimits(sub, -1, -1);
  std::fprintf(stderr, "events_watch: subscribed to %s\n", subject.c_str());
  std::map<std::string, int> seen;
  std::vector<double> lags;
  while (!g_stop.load()) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, 100) != NATS_OK) continue;
    int64_t at = now_us();
    std::string_view body(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    const char* id = nullptr;
    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) ++seen[id];
    if (int64_t t = event_time_us(body); t > 0) lags.push_back(static_cast<double>(at - t) / 1000.0);
    natsMsg_Destroy(m);
  }
  size_t received = 0;
  for (const auto& [id, n] : seen) received += static_cast<size_t>(n);
  std::sort(lags.begin(), lags.end());
  std::printf("received %zu distinct %zu lag_p50_ms %.1f lag_p99_ms %.1f lag_max_ms %.1f\n", received, seen.size(),
              pct(lags, 50), pct(lags, 99), lags.empty() ? 0.0 : lags.back());
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  return 0;
}

int count(const std::string& url, const std::string& stream) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  must(natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK, "cannot connect to NATS");
  must(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK, "no JetStream");
  jsStreamInfo* si = nullptr;
  must(js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr) == NATS_OK, "no such stream");
  uint64_t total = si->State.Msgs;
  std::string subject = si->Config->Subjects[0];
  jsStreamInfo_Destroy(si);
  std::map<std::string, int> seen;
  uint64_t read = 0;
  if (total > 0) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    natsSubscription* sub = nullptr;
    must(js_SubscribeSync(&sub, js, subject.c_str(), nullptr, &so, nullptr) == NATS_OK, "cannot read the stream");
    while (read < total) {
      natsMsg* m = nullptr;
      if (natsSubscription_NextMsg(&m, sub, 5000) != NATS_OK) break;
      const char* id = nullptr;
      if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) ++seen[id];
      ++read;
      natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
  }
  size_t twice = 0;
  for (const auto& [id, n] : seen) twice += n > 1 ? 1 : 0;
  std::printf("messages %llu distinct %zu stored_twice %zu\n", static_cast<unsigned long long>(read), seen.size(),
              twice);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return read == total ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  must(argc >= 2, "usage: events_watch lag|count --nats-url URL [--subject S | --stream S]");
  std::string mode = argv[1], url, subject = "sluice.events.>", stream = "SLUICE_EVENTS";
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--nats-url") url = v;
    else if (k == "--subject") subject = v;
    else if (k == "--stream") stream = v;
    else must(false, "unknown flag");
  }
  must(!url.empty(), "--nats-url is required");
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (mode == "lag") return lag(url, subject);
  if (mode == "count") return count(url, stream);
  must(false, "mode must be lag or count");
}
