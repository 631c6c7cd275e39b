// EventRelay: delivers the transactional outbox (sluice.events) to NATS JetStream, at least
// once, in commit order per file, and prunes the outbox.
//
// Why a thread of its own with a blocking PostgreSQL connection, and not the reactor: the
// official NATS C client (nats.c) already runs its own reader, flusher, timer and ack threads,
// blocks its caller when too many acks are pending, and its stream management is blocking
// request/reply; on a reactor thread any of those would stall uploads. Off the reactors, a
// slow or dead NATS can only slow the relay: uploads only INSERT a row, and NATS never sits on
// their path. The PostgreSQL session is the relay's own (not the pool's) because it holds the
// cluster-wide advisory lock: one relay per cluster, and when an instance dies its connection
// and so its lock go, and another instance's relay takes over within `lock_retry`.
//
// A turn: read up to `batch` unpublished rows in id order, publish each asynchronously
// (Nats-Msg-Id = outbox id; at most `max_pending` acks outstanding: pipelined), wait for the
// acks, then mark the stored rows published by id. A crash between publish and mark republishes
// on the next leader; JetStream's duplicate window (longer than a fail-over) drops the copies.
// NATS down: the turn fails, the relay backs off and reconnects; rows stay queued, none lost.
// A message NATS refuses (too big, bad subject) costs the row an attempt; after
// `max_attempts` the row is dead-lettered (dead_at) and the queue moves on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "core/clock.h"
#include "db/pg_blocking_connection.h"
#include "storage/service/service_config.h"

namespace sluice {

struct EventRelayOptions {
  std::string pg_url;
  std::string nats_url;  // empty: nothing is published, the outbox is only pruned
  std::string subject_prefix = "sluice.events";
  std::string stream = "SLUICE_EVENTS";
  std::string source;  // the CloudEvents source; empty: "/sluice/<hostname>"
  // JetStream drops a repeated Nats-Msg-Id seen within this window: longer than the worst gap
  // between a leader dying after publishing and the next one republishing.
  Duration duplicate_window = std::chrono::minutes(10);
  Duration stream_max_age = std::chrono::hours(24 * 7);  // how long the stream keeps events
  Duration retention = std::chrono::hours(24);           // published rows, then deleted
  // Without NATS every row is deleted after this; with NATS only dead letters are (queued rows
  // wait for NATS however long it takes).
  Duration unpublished_retention = std::chrono::hours(24 * 7);
  int batch = 1000;                                        // rows per turn
  int max_pending = 256;                                   // unacknowledged publishes in flight
  int max_attempts = 5;                                    // refusals before a row is dead-lettered
  Duration poll_interval = std::chrono::milliseconds(50);  // caught up: next read after this
  Duration ack_wait = std::chrono::seconds(5);             // per publish
  Duration lock_retry = std::chrono::seconds(2);           // standby: how often to try the lock
  Duration prune_interval = std::chrono::seconds(60);
  Duration stats_interval = std::chrono::seconds(2);  // queue depth for /metrics
  Duration max_backoff = std::chrono::seconds(5);
};

// The relay `sluice serve` and `sluice relay` run for this configuration.
EventRelayOptions event_relay_options(const ServiceConfig& c);

// Read from any thread (/metrics); written by the relay thread and nats.c's ack thread.
struct EventRelayStats {
  std::atomic<bool> leader{false};
  std::atomic<bool> nats_connected{false};
  std::atomic<uint64_t> published{0};      // acknowledged by JetStream (duplicates included)
  std::atomic<uint64_t> duplicates{0};     // acknowledged as a duplicate: a redelivery JetStream dropped
  std::atomic<uint64_t> failures{0};       // publishes not acknowledged (NATS down, timeout): retried
  std::atomic<uint64_t> nats_outages{0};   // turns that found NATS unreachable or lost it
  std::atomic<uint64_t> refused{0};        // publishes NATS refused: counted against the row
  std::atomic<uint64_t> dead_lettered{0};  // rows dead-lettered by this process
  std::atomic<uint64_t> pruned{0};         // rows deleted after their retention
  std::atomic<int64_t> depth{-1};          // queued rows (-1: not known yet)
  std::atomic<int64_t> oldest_age_s{0};    // age of the oldest queued row
  std::atomic<int64_t> dead{0};            // dead letters in the table
};

class EventRelay {
 public:
  explicit EventRelay(EventRelayOptions options);
  ~EventRelay();  // stop()
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  void start();  // starts the thread
  void stop();   // ends the current turn, releases the lock, joins

  const EventRelayStats& stats() const { return stats_; }
  const EventRelayOptions& options() const { return options_; }
  bool publishing() const { return !options_.nats_url.empty(); }
  // True once the thread has ended (stop(), or the crash below).
  bool ended() const { return ended_.load(); }

  // Tests: the next turn publishes and receives its acks, then the relay vanishes as if killed
  // (connections dropped, nothing marked, thread ended).
  void crash_before_next_mark() { crash_armed_ = true; }

 private:
  struct Nats;
  struct Acks;
  enum class Turn { drained, more, nats_trouble, pg_trouble, crashed };

  void run();
  bool nap(Duration d);  // false when stopping
  bool stopping();
  bool connect_nats();
  void drop_nats();
  Turn relay_batch();
  void prune();
  void refresh_stats();

  EventRelayOptions options_;
  EventRelayStats stats_;
  PgBlockingConnection pg_;
  std::unique_ptr<Acks> acks_;  // before nats_: outlives every connection
  std::unique_ptr<Nats> nats_;
  int64_t cursor_ = 0;
  std::unordered_set<std::string> held_;  // files with a refused event, this scan
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> crash_armed_{false};
  std::atomic<bool> ended_{false};
};

}  // namespace sluice
