#include "storage/service/janitor/janitor.h"

#include <ctime>

#include "core/log.h"
#include "http/json_writer.h"
#include "storage/service/admission/lease_key.h"
#include "storage/service/audit/audit_log.h"
#include "storage/service/files/file_purge.h"
#include "storage/service/files/name_conflict.h"
#include "storage/service/files/purge_queries.h"
#include "storage/service/janitor/lease_queries.h"
#include "storage/service/uploads/sessions/session_completion.h"
#include "storage/service/uploads/sessions/session_ending.h"
#include "storage/service/uploads/sessions/session_queries.h"

namespace sluice {

namespace {

int64_t millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void log_failure(std::string_view what, const std::string& id, const Error& e) {
  log_event(LogLevel::warn, "janitor_repair_failed", {{"repair", what}, {"id", id}, {"error", e.message}});
}

}  // namespace

std::string lease_key_for(const std::string& user) { return service::lease_key(user); }

JanitorReport& JanitorReport::operator+=(const JanitorReport& o) {
  stale_sessions += o.stale_sessions;
  completions_committed += o.completions_committed;
  completions_failed += o.completions_failed;
  orphan_uploads += o.orphan_uploads;
  accounts_reconciled += o.accounts_reconciled;
  store_uploads_aborted += o.store_uploads_aborted;
  leases_released += o.leases_released;
  leases_swept += o.leases_swept;
  files_expired += o.files_expired;
  trash_purged += o.trash_purged;
  purges_finished += o.purges_finished;
  temp_files_swept += o.temp_files_swept;
  audit_partitions_dropped += o.audit_partitions_dropped;
  errors += o.errors;
  return *this;
}

std::string JanitorReport::to_json() const {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("staleSessions").uint64(stale_sessions);
  w.key("completionsCommitted").uint64(completions_committed);
  w.key("completionsFailed").uint64(completions_failed);
  w.key("orphanUploads").uint64(orphan_uploads);
  w.key("accountsReconciled").uint64(accounts_reconciled);
  w.key("storeUploadsAborted").uint64(store_uploads_aborted);
  w.key("leasesReleased").uint64(leases_released);
  w.key("leasesSwept").uint64(leases_swept);
  w.key("filesExpired").uint64(files_expired);
  w.key("trashPurged").uint64(trash_purged);
  w.key("purgesFinished").uint64(purges_finished);
  w.key("tempFilesSwept").uint64(temp_files_swept);
  w.key("auditPartitionsDropped").uint64(audit_partitions_dropped);
  w.key("errors").uint64(errors);
  w.end_object();
  return out;
}

JanitorOptions JanitorOptions::from(const ServiceConfig& c) {
  JanitorOptions o;
  o.stale_upload_after = c.stale_upload_after;
  o.upload_timeout = c.upload_timeout;
  o.trash_retention = c.trash_retention;
  o.stale_purge_after = c.stale_purge_after;
  o.audit_retention = c.audit_retention;
  return o;
}

Janitor::Janitor(PgPool& pg, ObjectStore& store, RedisClient* redis, JanitorOptions options)
    : pg_(pg), store_(store), redis_(redis), options_(std::move(options)) {}

// KEYS[1] lease set, ARGV[1] an upload's lease id: removes it and the part-PUT leases of that
// upload ("{id}#{n}", left by a process that died mid-PUT). Returns how many were removed.
constexpr const char* kReleaseWithPartsLua = R"lua(
local n = redis.call('ZREM', KEYS[1], ARGV[1])
local prefix = ARGV[1] .. '#'
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #prefix) == prefix then n = n + redis.call('ZREM', KEYS[1], m) end
end
return n
)lua";

Task<bool> Janitor::release_lease(std::string user, std::string lease_id) {
  if (!redis_) co_return false;
  std::vector<std::string> cmd{"EVAL", kReleaseWithPartsLua, "1", lease_key_for(user), lease_id};
  auto r = co_await redis_->command(std::move(cmd), deadline_after(std::chrono::seconds(2)));
  co_return r.ok() && r->integer > 0;  // otherwise it expires on its own after the lease TTL
}

Task<Janitor::Counts> Janitor::abort_stale_sessions() {
  Counts c;
  for (int batch = 0; batch < options_.max_batches; ++batch) {
    auto rows = co_await pg_.query(session_sql::kStaleSessions, millis(options_.stale_upload_after),
                                   static_cast<int64_t>(options_.batch));
    if (!rows.ok()) {
      log_failure("stale_sessions", "", rows.error());
      ++c.errors;
      co_return c;
    }
    for (int i = 0; i < rows->rows(); ++i) {
      auto rec = session_from_row(*rows, i);
      if (!rec.ok()) {
        ++c.errors;
        continue;
      }
      auto ended = co_await end_session(pg_, store_, *rec, SessionEnd::aborted, false);
      if (!ended.ok()) {
        log_failure("stale_session", rec->id, ended.error());
        ++c.errors;
        continue;
      }
      if (!*ended) continue;  // a request got there first
      ++c.done;
      if (co_await release_lease(rec->owner, rec->file_id)) ++c.leases;
    }
    if (rows->rows() < options_.batch) break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::resolve_completions() {
  Counts c;  // done: committed, extra: failed
  for (int batch = 0; batch < options_.max_batches; ++batch) {
    auto rows = co_await pg_.query(session_sql::kStuckCompletions, millis(options_.stale_upload_after),
                                   static_cast<int64_t>(options_.batch));
    if (!rows.ok()) {
      log_failure("stuck_completions", "", rows.error());
      ++c.errors;
      co_return c;
    }
    for (int i = 0; i < rows->rows(); ++i) {
      auto rec = session_from_row(*rows, i);
      if (!rec.ok()) {
        ++c.errors;
        continue;
      }
      // The store either joined the parts (the object exists with the declared size) or not.
      auto head = co_await store_.head(rec->object_key);
      if (!head.ok() && head.error().code != Errc::not_found) {
        log_failure("stuck_completion", rec->id, head.error());
        ++c.errors;
        continue;
      }
      bool joined = head.ok() && head->size == rec->declared_size;
      if (joined) {
        auto committed = co_await commit_session_file(pg_, store_, *rec, head->etag);
        if (!committed.ok() && service::is_name_conflict(committed.error())) {
          // A live file took the name while the complete was cut short (onConflict=fail): the
          // upload fails like a complete that lost the name, and its joined object goes.
          auto ended = co_await end_session(pg_, store_, *rec, SessionEnd::failed, true);
          if (!ended.ok()) {
            log_failure("stuck_completion", rec->id, ended.error());
            ++c.errors;
            continue;
          }
          auto removed = co_await store_.remove(rec->object_key);
          if (!removed.ok()) log_failure("stuck_completion", rec->id, removed.error());
          ++c.extra;
          if (co_await release_lease(rec->owner, rec->file_id)) ++c.leases;
          continue;
        }
        if (!committed.ok()) {
          log_failure("stuck_completion", rec->id, committed.error());
          ++c.errors;
          continue;
        }
        if (committed->rows() != 1) continue;
        ++c.done;
      } else {
        auto ended = co_await end_session(pg_, store_, *rec, SessionEnd::failed, true);
        if (!ended.ok()) {
          log_failure("stuck_completion", rec->id, ended.error());
          ++c.errors;
          continue;
        }
        if (!*ended) continue;
        if (head.ok()) (void)co_await store_.remove(rec->object_key);  // a wrong-sized object is no file
        ++c.extra;
      }
      if (co_await release_lease(rec->owner, rec->file_id)) ++c.leases;
    }
    if (rows->rows() < options_.batch) break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::fail_orphan_uploads() {
  Counts c;
  for (int batch = 0; batch < options_.max_batches; ++batch) {
    auto rows = co_await pg_.query(session_sql::kOrphanFiles, millis(options_.upload_timeout),
                                   static_cast<int64_t>(options_.batch));
    if (!rows.ok()) {
      log_failure("orphan_uploads", "", rows.error());
      ++c.errors;
      co_return c;
    }
    for (int i = 0; i < rows->rows(); ++i) {
      std::string id(rows->text(i, 0)), owner(rows->text(i, 1)), key(rows->text(i, 2));
      int64_t size = rows->int64(i, 3).ok() ? *rows->int64(i, 3) : 0;
      // The row first: once it is 'failed' a late commit of a live upload is refused, so the
      // object deleted below cannot belong to an acknowledged file.
      auto failed = co_await pg_.query(session_sql::kFailOrphan, id, size);
      if (!failed.ok()) {
        log_failure("orphan_upload", id, failed.error());
        ++c.errors;
        continue;
      }
      if (failed->rows() != 1) continue;
      Status removed = co_await store_.remove(key);
      if (!removed.ok()) log_failure("orphan_object", key, removed.error());
      ++c.done;
      if (co_await release_lease(owner, id)) ++c.leases;
    }
    if (rows->rows() < options_.batch) break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::reconcile_idle_accounts() {
  Counts c;
  auto rows = co_await pg_.query(session_sql::kDriftedAccounts, static_cast<int64_t>(options_.batch));
  if (!rows.ok()) {
    log_failure("idle_accounts", "", rows.error());
    ++c.errors;
    co_return c;
  }
  for (int i = 0; i < rows->rows(); ++i) {
    std::string user(rows->text(i, 0));
    // The candidates were read without a lock; the transaction checks again under the
    // account's row lock, so a reservation made meanwhile is never zeroed.
    auto tx = co_await pg_.begin();
    if (!tx.ok()) {
      log_failure("idle_account", user, tx.error());
      ++c.errors;
      continue;
    }
    Result<PgResult> zeroed = Error(Errc::internal, "not run");
    auto locked = co_await tx->query(session_sql::kLockAccount, user);
    if (locked.ok()) zeroed = co_await tx->query(session_sql::kZeroIdleReservation, user);
    else zeroed = locked.error();
    Status committed = zeroed.ok() ? Status() : Status(zeroed.error());
    if (committed.ok()) committed = co_await tx->commit();  // (no co_await inside ?: for GCC 12)
    if (!committed.ok()) {
      log_failure("idle_account", user, committed.error());
      ++c.errors;
      continue;
    }
    if (zeroed->rows() == 1) {
      log_event(LogLevel::warn, "janitor_reservation_reconciled", {{"user", user}});
      ++c.done;
    }
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::abort_unwanted_store_uploads() {
  Counts c;
  auto listed = co_await store_.list_multipart_uploads(options_.key_prefix);
  if (!listed.ok()) {
    log_failure("store_uploads", "", listed.error());
    ++c.errors;
    co_return c;
  }
  for (size_t first = 0; first < listed->size(); first += static_cast<size_t>(options_.batch)) {
    std::vector<std::string> keys, ids;
    for (size_t i = first; i < listed->size() && i < first + static_cast<size_t>(options_.batch); ++i) {
      keys.push_back((*listed)[i].key);
      ids.push_back((*listed)[i].upload_id);
    }
    auto unwanted = co_await pg_.query(session_sql::kUnwantedStoreUploads, keys, ids);
    if (!unwanted.ok()) {
      log_failure("store_uploads", "", unwanted.error());
      ++c.errors;
      co_return c;
    }
    for (int i = 0; i < unwanted->rows(); ++i) {
      std::string key(unwanted->text(i, 0)), id(unwanted->text(i, 1));
      Status s = co_await abort_store_upload(store_, key, id);
      if (!s.ok()) {
        log_failure("store_upload", id, s.error());
        ++c.errors;
        continue;
      }
      ++c.done;
    }
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::sweep_leases() {
  Counts c;
  if (!redis_) co_return c;
  std::string cursor = "0";
  std::string now = std::to_string(now_ms());
  for (int round = 0; round < 10000; ++round) {
    std::vector<std::string> scan{"SCAN", cursor, "MATCH", service::kLeaseKeyPattern, "COUNT", "500"};
    auto page = co_await redis_->command(std::move(scan), deadline_after(std::chrono::seconds(5)));
    if (!page.ok() || page->elements.size() != 2) {
      if (!page.ok()) log_failure("lease_sweep", "", page.error());
      ++c.errors;
      co_return c;
    }
    for (const RedisReply& key : page->elements[1].elements) {
      std::vector<std::string> drop{"ZREMRANGEBYSCORE", key.str, "-inf", now};
      auto removed = co_await redis_->command(std::move(drop), deadline_after(std::chrono::seconds(2)));
      if (removed.ok()) c.done += static_cast<uint64_t>(removed->integer);
      else ++c.errors;
      Counts finished = co_await drop_finished_leases(key.str);
      c.done += finished.done;
      c.errors += finished.errors;
    }
    cursor = page->elements[0].str;
    if (cursor == "0") break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::drop_finished_leases(std::string key) {
  Counts c;
  std::vector<std::string> range{"ZRANGE", key, "0", "-1"};
  auto members = co_await redis_->command(std::move(range), deadline_after(std::chrono::seconds(2)));
  if (!members.ok()) {
    ++c.errors;
    co_return c;
  }
  std::vector<std::string> ids;
  for (const RedisReply& m : members->elements) ids.push_back(m.str);
  if (ids.empty()) co_return c;
  auto finished = co_await pg_.query(janitor_sql::kFinishedLeases, ids);
  if (!finished.ok()) {
    log_failure("finished_leases", key, finished.error());
    ++c.errors;
    co_return c;
  }
  for (int i = 0; i < finished->rows(); ++i) {
    std::vector<std::string> rem{"ZREM", key, std::string(finished->text(i, 0))};
    auto removed = co_await redis_->command(std::move(rem), deadline_after(std::chrono::seconds(2)));
    if (removed.ok()) c.done += static_cast<uint64_t>(removed->integer);
    else ++c.errors;
  }
  co_return c;
}

// Runs `purge` (a purge_sql statement taking [an age in seconds,] a batch size) batch after batch,
// then finishes each batch: objects removed, rows dropped.
Task<Janitor::Counts> Janitor::purge_in_batches(const PgStatement& purge, std::string what,
                                                std::optional<int64_t> age_seconds) {
  Counts c;  // done: purged; extra: objects removed and rows dropped
  int64_t batch = options_.batch;
  for (int round = 0; round < options_.max_batches; ++round) {
    Result<PgResult> purged = Error(Errc::internal, "unset");
    if (age_seconds)
      purged = co_await pg_.query(purge, *age_seconds, batch);
    else
      purged = co_await pg_.query(purge, batch);
    if (!purged.ok()) {
      log_failure(what, "", purged.error());
      ++c.errors;
      co_return c;
    }
    auto files = service::purged_files(*purged);
    c.done += files.size();
    auto p = co_await service::finish_purge(pg_, store_, std::move(files));
    c.extra += p.finished;
    c.errors += p.failed;  // left queued: finish_stale_purges takes them later
    if (purged->rows() < batch) break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::purge_expired_files() {
  return purge_in_batches(purge_sql::kPurgeExpired, "expired_files", std::nullopt);
}

Task<Janitor::Counts> Janitor::purge_old_trash() {
  int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(options_.trash_retention).count();
  return purge_in_batches(purge_sql::kPurgeOldTrash, "old_trash", secs);
}

Task<Janitor::Counts> Janitor::finish_stale_purges() {
  Counts c;
  for (int round = 0; round < options_.max_batches; ++round) {
    auto p = co_await service::finish_stale_purges(pg_, store_, options_.stale_purge_after, options_.batch);
    if (!p.ok()) {
      log_failure("stale_purges", "", p.error());
      ++c.errors;
      co_return c;
    }
    c.done += p->finished;
    c.errors += p->failed;
    // Failed rows stay 'deleted' and would come back first: stop rather than loop on them.
    if (p->finished + p->failed < static_cast<uint64_t>(options_.batch) || p->failed > 0) break;
  }
  co_return c;
}

Task<Janitor::Counts> Janitor::maintain_audit_log() {
  Counts c;
  int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(options_.audit_retention).count();
  auto dropped = co_await service::maintain_audit_partitions(pg_, options_.audit_months_ahead, secs);
  if (!dropped.ok()) {
    log_failure("audit_partitions", "", dropped.error());
    ++c.errors;
    co_return c;
  }
  c.done = static_cast<uint64_t>(*dropped);
  co_return c;
}

Task<Janitor::Counts> Janitor::sweep_temp_files() {
  Counts c;
  auto swept = co_await store_.sweep_temp_files();
  if (!swept.ok()) {
    log_failure("temp_files", "", swept.error());
    ++c.errors;
    co_return c;
  }
  c.done = *swept;
  co_return c;
}

Task<JanitorReport> Janitor::run_once() {
  Clock::time_point started = Clock::now();
  JanitorReport r;
  // Completions first: one whose object exists must be committed, not aborted as stale.
  Counts completions = co_await resolve_completions();
  r.completions_committed = completions.done;
  r.completions_failed = completions.extra;
  Counts stale = co_await abort_stale_sessions();
  r.stale_sessions = stale.done;
  Counts orphans = co_await fail_orphan_uploads();
  r.orphan_uploads = orphans.done;
  Counts idle = co_await reconcile_idle_accounts();
  r.accounts_reconciled = idle.done;
  // After the passes above, whose rows no longer want their store uploads.
  Counts store = co_await abort_unwanted_store_uploads();
  r.store_uploads_aborted = store.done;
  Counts temp = co_await sweep_temp_files();
  r.temp_files_swept = temp.done;
  Counts leases = co_await sweep_leases();
  r.leases_swept = leases.done;
  // Purges whose purger died first (their rows are already 'deleted'), then new ones.
  Counts stale_purges = co_await finish_stale_purges();
  r.purges_finished = stale_purges.done;
  Counts expired = co_await purge_expired_files();
  r.files_expired = expired.done;
  Counts old_trash = co_await purge_old_trash();
  r.trash_purged = old_trash.done;
  Counts audit = co_await maintain_audit_log();
  r.audit_partitions_dropped = audit.done;
  r.leases_released = completions.leases + stale.leases + orphans.leases;
  r.errors = completions.errors + stale.errors + orphans.errors + idle.errors + store.errors + leases.errors +
             stale_purges.errors + expired.errors + old_trash.errors + temp.errors + audit.errors;
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  log_event(r.repaired() > 0 || r.errors > 0 ? LogLevel::info : LogLevel::debug, "janitor_run",
            {{"stale_sessions", r.stale_sessions},
             {"completions_committed", r.completions_committed},
             {"completions_failed", r.completions_failed},
             {"orphan_uploads", r.orphan_uploads},
             {"accounts_reconciled", r.accounts_reconciled},
             {"store_uploads_aborted", r.store_uploads_aborted},
             {"leases_released", r.leases_released},
             {"leases_swept", r.leases_swept},
             {"files_expired", r.files_expired},
             {"trash_purged", r.trash_purged},
             {"purges_finished", r.purges_finished},
             {"temp_files_swept", r.temp_files_swept},
             {"audit_partitions_dropped", r.audit_partitions_dropped},
             {"errors", r.errors},
             {"duration_ms", ms}});
  co_return r;
}

}  // namespace sluice
