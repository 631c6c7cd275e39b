// Janitor: repairs what crashed processes and vanished clients leave behind, so that nothing
// leaks: multipart sessions whose heartbeat stopped (aborted in the store, reservation and lease
// released), completes that died half-way (committed if the store joined the object, failed
// otherwise), direct uploads left 'uploading' past the upload timeout (and the reservation of
// accounts with nothing left in flight), store multipart uploads no row wants, temp files
// of dead writers, and expired Redis leases. Each repair claims its row first, so a janitor racing
// a live request (or another janitor) never undoes the request's work.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "db/redis_client.h"
#include "storage/store/object_store.h"
#include "storage/service/service_config.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

struct JanitorOptions {
  Duration stale_upload_after = std::chrono::minutes(15);  // multipart session without heartbeat
  Duration upload_timeout = std::chrono::hours(6);         // direct upload still 'uploading'
  std::string key_prefix = "u/";                           // the store keys Sluice generates
  Duration trash_retention = std::chrono::hours(24 * 30);  // trashed files older are purged
  Duration stale_purge_after = std::chrono::seconds(60);   // a purge whose purger died, a failed upload's object
  Duration audit_retention = std::chrono::hours(24 * 365);  // audit partitions older are dropped
  int audit_months_ahead = 2;                              // audit partitions made ahead of time
  int batch = 500;                                         // rows per query
  int max_batches = 20;                                    // per pass and run, so a run ends

  // The ages a deployment configures (the rest keep their defaults).
  static JanitorOptions from(const ServiceConfig& c);
};

struct JanitorReport {
  uint64_t stale_sessions = 0;         // sessions aborted for lack of heartbeat
  uint64_t completions_committed = 0;  // interrupted completes whose object was joined
  uint64_t completions_failed = 0;     // interrupted completes whose object was not
  uint64_t orphan_uploads = 0;         // direct uploads a dead process left 'uploading'
  uint64_t accounts_reconciled = 0;    // reservations held with nothing in flight, zeroed
  uint64_t store_uploads_aborted = 0;  // store multipart uploads without a session
  uint64_t leases_released = 0;        // leases of the sessions and uploads above
  uint64_t leases_swept = 0;           // expired leases, and leases of finished uploads, removed from Redis
  uint64_t files_expired = 0;          // files purged because their expiresAt passed
  uint64_t trash_purged = 0;           // trashed files purged after the retention
  uint64_t purges_finished = 0;        // objects removed and rows dropped: purges a crash cut short, failed uploads
  uint64_t temp_files_swept = 0;       // store temp files (and dirs) whose writer died
  uint64_t audit_partitions_dropped = 0;  // monthly audit log partitions past the retention
  uint64_t errors = 0;                 // repairs that failed (retried on the next run)

  uint64_t repaired() const {
    return stale_sessions + completions_committed + completions_failed + orphan_uploads + accounts_reconciled +
           store_uploads_aborted + leases_swept + files_expired + trash_purged + purges_finished +
           temp_files_swept + audit_partitions_dropped;
  }
  JanitorReport& operator+=(const JanitorReport& o);
  std::string to_json() const;
};

// The Redis key of a user's upload leases (service::lease_key, storage/service/admission/lease_key.h).
std::string lease_key_for(const std::string& user);

class Janitor {
 public:
  // `redis` may be null (no Redis: no leases to release or sweep).
  Janitor(PgPool& pg, ObjectStore& store, RedisClient* redis, JanitorOptions options);

  // One pass of every repair; logs and returns what it did. Safe to run concurrently with
  // live traffic; callers keep two janitors from running at once (JanitorTask's advisory lock).
  Task<JanitorReport> run_once();

 private:
  struct Counts {
    uint64_t done = 0, extra = 0, leases = 0, errors = 0;
  };
  Task<Counts> abort_stale_sessions();
  Task<Counts> resolve_completions();
  Task<Counts> fail_orphan_uploads();
  Task<Counts> reconcile_idle_accounts();
  Task<Counts> abort_unwanted_store_uploads();
  Task<Counts> sweep_leases();
  // Leases in `key` whose upload committed or failed (their holder died before releasing them).
  Task<Counts> drop_finished_leases(std::string key);
  Task<Counts> purge_expired_files();
  Task<Counts> purge_old_trash();
  Task<Counts> purge_in_batches(const PgStatement& purge, std::string what, std::optional<int64_t> age_seconds);
  Task<Counts> finish_stale_purges();
  Task<Counts> sweep_temp_files();
  Task<Counts> maintain_audit_log();
  Task<bool> release_lease(std::string user, std::string lease_id);

  PgPool& pg_;
  ObjectStore& store_;
  RedisClient* redis_;
  JanitorOptions options_;
};

}  // namespace sluice
