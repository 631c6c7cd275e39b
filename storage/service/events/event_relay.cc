#include "storage/service/events/event_relay.h"

#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/log.h"
#include "storage/service/events/cloud_event.h"
#include "storage/service/events/relay_queries.h"

namespace sluice {

namespace {

int64_t ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
int64_t ns(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }
std::string secs(Duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()); }

std::string default_source() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "/sluice";
  return std::string("/sluice/") + host;
}

int64_t int_or(const Result<int64_t>& r, int64_t fallback) { return r.ok() ? *r : fallback; }

// "{1,2,3}": a bigint[] parameter.
std::string id_array(const std::vector<int64_t>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  s += '}';
  return s;
}

// A publish NATS refuses for this message itself (not for the state of the connection): it
// would fail again, so it counts against the row.
bool refused_locally(natsStatus s) {
  return s == NATS_MAX_PAYLOAD || s == NATS_INVALID_SUBJECT || s == NATS_INVALID_ARG;
}

}  // namespace

// The acks of the turn in flight: written by nats.c's ack thread, read by the relay thread.
// Owned by the relay, not by one connection, so an ack callback still running while a broken
// connection is torn down never touches freed memory.
struct EventRelay::Acks {
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<int64_t> waiting;  // published in this turn, no answer yet
  std::vector<int64_t> stored;
  std::vector<int64_t> refused;
  uint64_t transient = 0;
  uint64_t duplicates = 0;

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Acks*>(closure);
    const char* idv = nullptr;
    int64_t id = 0;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &idv) == NATS_OK && idv) id = std::strtoll(idv, nullptr, 10);
    {
      std::lock_guard lock(self->mu);
      if (self->waiting.erase(id) == 1) {  // an ack of an earlier turn (after a timeout) is ignored
        if (!pae) {
          self->stored.push_back(id);
          if (pa && pa->Duplicate) ++self->duplicates;
        } else if (pae->ErrCode != 0 && pae->Err != NATS_TIMEOUT && pae->Err != NATS_NO_RESPONDERS) {
          self->refused.push_back(id);  // the server answered with a JetStream error for this message
        } else {
          ++self->transient;
        }
      }
      if (self->waiting.empty()) self->cv.notify_all();
    }
    natsMsg_Destroy(msg);
  }
};

// The NATS side of one leadership: connection and JetStream context.
struct EventRelay::Nats {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Nats() {
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
};

EventRelayOptions event_relay_options(const ServiceConfig& c) {
  EventRelayOptions o;
  o.pg_url = c.pg_url;
  o.nats_url = c.nats_url;
  o.subject_prefix = c.events_prefix;
  o.stream = c.events_stream;
  o.source = c.events_source;
  o.duplicate_window = c.events_duplicate_window;
  o.stream_max_age = c.events_stream_max_age;
  o.retention = c.events_retention;
  o.unpublished_retention = c.events_unpublished_retention;
  return o;
}

EventRelay::EventRelay(EventRelayOptions options) : options_(std::move(options)), acks_(std::make_unique<Acks>()) {
  if (options_.source.empty()) options_.source = default_source();
  options_.batch = std::max(1, options_.batch);
  options_.max_pending = std::max(1, options_.max_pending);
  options_.max_attempts = std::max(1, options_.max_attempts);
}

EventRelay::~EventRelay() { stop(); }

void EventRelay::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void EventRelay::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EventRelay::stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool EventRelay::nap(Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

bool EventRelay::connect_nats() {
  auto n = std::make_unique<Nats>();
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, options_.nats_url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, "sluice-event-relay");
  // The relay reconnects itself (after backoff, re-checking the stream); nats.c's own
  // reconnect would buffer publishes across the gap and could store a later event of a file
  // while an earlier one, in flight when the connection broke, is lost.
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsConnection_Connect(&n->nc, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_OK) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    jo.PublishAsync.MaxPending = options_.max_pending;
    jo.PublishAsync.AckHandler = &Acks::on_ack;
    jo.PublishAsync.AckHandlerClosure = acks_.get();
    jo.PublishAsync.StallWait = ms(options_.ack_wait);
    s = natsConnection_JetStream(&n->js, n->nc, &jo);
  }
  if (s != NATS_OK) {
    log_event(LogLevel::warn, "event_relay_nats_unavailable",
              {{"url", options_.nats_url}, {"error", natsStatus_GetText(s)}});
    return false;
  }
  // The stream: created, or its subjects, duplicate window and age brought to the configuration.
  std::string subjects = options_.subject_prefix + ".>";
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = options_.stream.c_str();
  cfg.Subjects = subject_list;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Duplicates = ns(options_.duplicate_window);
  cfg.MaxAge = ns(options_.stream_max_age);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_GetStreamInfo(&si, n->js, cfg.Name, nullptr, &jerr);
  const char* action = "checked";
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    action = "created";
    s = js_AddStream(nullptr, n->js, &cfg, nullptr, &jerr);
  } else if (s == NATS_OK) {
    const jsStreamConfig* have = si->Config;
    bool same = have->Duplicates == cfg.Duplicates && have->MaxAge == cfg.MaxAge && have->SubjectsLen == 1 &&
                subjects == have->Subjects[0];
    if (!same) {
      action = "updated";
      s = js_UpdateStream(nullptr, n->js, &cfg, nullptr, &jerr);
    }
  }
  if (si) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    log_event(
        LogLevel::warn, "event_relay_stream_failed",
        {{"stream", options_.stream}, {"error", natsStatus_GetText(s)}, {"jsErrCode", static_cast<int64_t>(jerr)}});
    return false;
  }
  log_event(
      LogLevel::info, "event_relay_nats_connected",
      {{"url", options_.nats_url},
       {"stream", options_.stream},
       {"stream_action", action},
       {"duplicate_window_s",
        static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(options_.duplicate_window).count())}});
  nats_ = std::move(n);
  stats_.nats_connected = true;
  return true;
}

void EventRelay::drop_nats() {
  nats_.reset();
  stats_.nats_connected = false;
}

EventRelay::Turn EventRelay::relay_batch() {
  if (natsConnection_IsClosed(nats_->nc)) return Turn::nats_trouble;
  if (cursor_ == 0) held_.clear();  // a new scan: refused rows are tried again
  auto rows = pg_.exec(relay_sql::kFetch, {std::to_string(cursor_), std::to_string(options_.batch)});
  if (!rows.ok()) {
    log_event(LogLevel::warn, "event_relay_read_failed", {{"error", rows.error().message}});
    return Turn::pg_trouble;
  }
  int n = rows->rows();
  if (n == 0) {
    cursor_ = 0;
    return Turn::drained;
  }
  Nats& nats = *nats_;
  Acks& nt = *acks_;
  {
    std::lock_guard lock(nt.mu);
    nt.waiting.clear();
    nt.stored.clear();
    nt.refused.clear();
    nt.transient = 0;
    nt.duplicates = 0;
  }
  std::vector<int64_t> refused_now;
  bool connection_trouble = false;
  int64_t last_id = 0;
  for (int i = 0; i < n; ++i) {
    OutboxEvent e;
    e.id = int_or(rows->int64(i, 0), 0);
    e.kind = std::string(rows->text(i, 1));
    e.aggregate_id = std::string(rows->text(i, 2));
    e.payload = std::string(rows->text(i, 3));
    e.time = std::string(rows->text(i, 4));
    last_id = e.id;
    // A file with a refused event waits (in this scan) until that event is published or dead:
    // its later events must not overtake it.
    if (!held_.empty() && held_.contains(e.aggregate_id)) continue;
    std::string subject = event_subject(options_.subject_prefix, e.kind);
    std::string body = cloud_event_json(e, options_.source);
    std::string id = std::to_string(e.id);
    natsMsg* m = nullptr;
    natsStatus s = natsMsg_Create(&m, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
    if (s == NATS_OK) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = id.c_str();
      po.MaxWait = ms(options_.ack_wait);
      {
        std::lock_guard lock(nt.mu);
        nt.waiting.insert(e.id);
      }
      s = js_PublishMsgAsync(nats.js, &m, &po);  // blocks while max_pending acks are outstanding
      if (s != NATS_OK) {
        std::lock_guard lock(nt.mu);
        nt.waiting.erase(e.id);
      }
    }
    natsMsg_Destroy(m);  // no-op once the library owns it
    if (s == NATS_OK) continue;
    if (refused_locally(s)) {
      refused_now.push_back(e.id);
      held_.insert(e.aggregate_id);
      log_event(LogLevel::warn, "event_refused",
                {{"id", e.id}, {"kind", e.kind}, {"bytes", body.size()}, {"error", natsStatus_GetText(s)}});
      continue;
    }
    log_event(LogLevel::warn, "event_relay_publish_failed", {{"id", e.id}, {"error", natsStatus_GetText(s)}});
    connection_trouble = true;
    break;
  }
  // Every publish answered (stored, refused or timed out per message), or the connection is gone.
  std::vector<int64_t> stored, refused = std::move(refused_now);
  uint64_t transient = 0, duplicates = 0, unanswered = 0;
  {
    std::unique_lock lock(nt.mu);
    nt.cv.wait_for(lock, options_.ack_wait + std::chrono::seconds(1), [&nt] { return nt.waiting.empty(); });
    stored = std::move(nt.stored);
    for (int64_t id : nt.refused) {  // refused by the server: hold its file for the rest of the scan
      refused.push_back(id);
      for (int i = 0; i < n; ++i)
        if (int_or(rows->int64(i, 0), 0) == id) held_.insert(std::string(rows->text(i, 2)));
    }
    transient = nt.transient;
    unanswered = nt.waiting.size();
    nt.waiting.clear();
    nt.stored.clear();
    nt.refused.clear();
  }
  if (crash_armed_.exchange(false)) {
    log_event(LogLevel::warn, "event_relay_crash_simulated", {{"published", stored.size()}});
    return Turn::crashed;
  }
  // Marked by id, never by a high-water mark (see relay_queries.h).
  if (!stored.empty()) {
    auto marked = pg_.exec(relay_sql::kMarkPublished, {id_array(stored)});
    if (!marked.ok()) {
      // Stored but not marked: republished by the next turn and dropped by JetStream's dedup.
      log_event(LogLevel::warn, "event_relay_mark_failed", {{"error", marked.error().message}});
      return Turn::pg_trouble;
    }
    stats_.published += stored.size();
  }
  {
    std::lock_guard lock(nt.mu);
    duplicates = std::exchange(nt.duplicates, 0);
  }
  stats_.duplicates += duplicates;
  if (!refused.empty()) {
    stats_.refused += refused.size();
    auto died = pg_.exec(relay_sql::kRecordRefusals, {id_array(refused), std::to_string(options_.max_attempts)});
    if (!died.ok()) {
      log_event(LogLevel::warn, "event_relay_mark_failed", {{"error", died.error().message}});
      return Turn::pg_trouble;
    }
    int64_t dead = int_or(died->int64(0, 0), 0);
    if (dead > 0) {
      stats_.dead_lettered += static_cast<uint64_t>(dead);
      log_event(LogLevel::error, "event_dead_lettered", {{"rows", dead}, {"max_attempts", options_.max_attempts}});
    }
  }
  uint64_t failed = transient + unanswered;
  if (failed > 0 || connection_trouble) {
    stats_.failures += failed + (connection_trouble ? 1 : 0);
    cursor_ = 0;  // the failed rows come first again
    return Turn::nats_trouble;
  }
  if (n < options_.batch) {
    cursor_ = 0;
    return Turn::drained;
  }
  cursor_ = last_id;
  return Turn::more;
}

void EventRelay::prune() {
  constexpr int kChunk = 10000;
  constexpr int kMaxChunks = 50;  // per prune, so a huge backlog of old rows does not hold the turn
  auto run = [&](const char* sql, Duration age) {
    for (int i = 0; i < kMaxChunks; ++i) {
      auto r = pg_.exec(sql, {secs(age), std::to_string(kChunk)});
      if (!r.ok()) {
        log_event(LogLevel::warn, "event_prune_failed", {{"error", r.error().message}});
        return;
      }
      stats_.pruned += static_cast<uint64_t>(r->affected_rows());
      if (r->affected_rows() < kChunk) return;
    }
  };
  run(relay_sql::kPrunePublished, options_.retention);
  if (options_.unpublished_retention <= Duration::zero()) return;  // configured: keep them
  if (publishing()) run(relay_sql::kPruneDead, options_.unpublished_retention);
  else run(relay_sql::kPruneUnpublished, options_.unpublished_retention);
}

void EventRelay::refresh_stats() {
  auto r = pg_.exec(relay_sql::kQueueStats);
  if (!r.ok()) return;
  stats_.depth = int_or(r->int64(0, 0), -1);
  stats_.oldest_age_s = int_or(r->int64(0, 1), 0);
  stats_.dead = int_or(r->int64(0, 2), 0);
}

void EventRelay::run() {
  log_event(LogLevel::info, "event_relay_started",
            {{"publishing", publishing()},
             {"stream", options_.stream},
             {"prefix", options_.subject_prefix},
             {"source", options_.source}});
  Duration backoff = std::chrono::milliseconds(100);
  auto fail = [&] {
    Duration d = backoff;
    backoff = std::min(options_.max_backoff, backoff * 2);
    return nap(d);
  };
  Deadline next_prune = Clock::now(), next_stats = Clock::now();
  bool crashed = false;
  while (!stopping()) {
    if (!pg_.connected()) {
      stats_.leader = false;
      drop_nats();
      if (Status s = pg_.connect(options_.pg_url); !s.ok()) {
        log_event(LogLevel::warn, "event_relay_db_unavailable", {{"error", s.error().message}});
        if (!fail()) break;
        continue;
      }
    }
    if (Clock::now() >= next_stats) {
      refresh_stats();  // standbys too, so every instance's /metrics shows the queue
      next_stats = Clock::now() + options_.stats_interval;
    }
    if (!stats_.leader) {
      auto locked = pg_.exec(relay_sql::kTryLock);
      if (!locked.ok()) {
        pg_.close();
        if (!fail()) break;
        continue;
      }
      if (locked->text(0, 0) != "t") {
        if (!nap(options_.lock_retry)) break;
        continue;
      }
      stats_.leader = true;
      cursor_ = 0;
      log_event(LogLevel::info, "event_relay_leader", {{"publishing", publishing()}});
    }
    if (Clock::now() >= next_prune) {
      prune();
      next_prune = Clock::now() + options_.prune_interval;
    }
    if (!publishing()) {
      if (!nap(std::min(options_.prune_interval, options_.stats_interval))) break;
      continue;
    }
    if (!nats_ && !connect_nats()) {
      ++stats_.nats_outages;
      if (!fail()) break;
      continue;
    }
    Turn t = relay_batch();
    if (t == Turn::crashed) {
      crashed = true;
      break;
    }
    if (t == Turn::nats_trouble) {
      ++stats_.nats_outages;
      drop_nats();
      if (!fail()) break;
      continue;
    }
    if (t == Turn::pg_trouble) {
      pg_.close();  // the lock goes with it; retaken (or lost to another relay) on reconnect
      if (!fail()) break;
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (t == Turn::drained && !nap(options_.poll_interval)) break;
  }
  if (!crashed && stats_.leader && pg_.connected()) (void)pg_.exec(relay_sql::kUnlock);
  drop_nats();
  pg_.close();
  stats_.leader = false;
  ended_ = true;
  log_event(LogLevel::info, crashed ? "event_relay_vanished" : "event_relay_stopped",
            {{"published", stats_.published.load()}});
}

}  // namespace sluice
