#include "storage/service/files/file_purge.h"

#include <chrono>
#include <unordered_map>

#include "core/log.h"
#include "storage/service/files/purge_queries.h"
#include "storage/service/thumbnails/thumbnail_queries.h"

namespace sluice::service {

std::vector<PurgedFile> purged_files(const PgResult& r) {
  std::vector<PurgedFile> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({std::string(r.text(i, 0)), std::string(r.text(i, 1))});
  return out;
}

Task<PurgeProgress> finish_purge(PgPool& pg, ObjectStore& store, std::vector<PurgedFile> files) {
  PurgeProgress p;
  if (files.empty()) co_return p;
  std::vector<std::string> gone;
  // Derived objects (thumbnails) go with their file. Read after the rows became 'deleted': a
  // thumbnailer records its variants only while the file is live (thumbnail_queries.h), so
  // every variant recorded is seen here, and none is recorded later.
  std::unordered_map<std::string, std::vector<std::string>> derived;
  {
    std::vector<std::string> ids;
    ids.reserve(files.size());
    for (const auto& f : files) ids.push_back(f.id);
    auto d = co_await pg.query(thumbnail_sql::kDerivedKeys, ids);
    if (!d.ok()) {  // nothing removed: the rows stay queued and the janitor tries again
      log_event(LogLevel::warn, "purge_derived_lookup_failed", {{"error", d.error().message}});
      p.failed += files.size();
      co_return p;
    }
    for (int i = 0; i < d->rows(); ++i) derived[std::string(d->text(i, 0))].push_back(std::string(d->text(i, 1)));
  }
  for (const auto& f : files) {
    Status s;
    if (auto it = derived.find(f.id); it != derived.end())
      for (const auto& key : it->second)
        if (s.ok()) s = co_await store.remove(key);
    if (s.ok()) s = co_await store.remove(f.object_key);
    if (!s.ok()) {
      ++p.failed;
      log_event(LogLevel::warn, "purge_object_remove_failed", {{"key", f.object_key}, {"error", s.error().message}});
      continue;
    }
    gone.push_back(f.id);
  }
  if (gone.empty()) co_return p;
  auto d = co_await pg.query(purge_sql::kDropPurged, gone);
  if (!d.ok()) {  // the objects are gone; the janitor drops the rows (removing a missing key succeeds)
    p.failed += gone.size();
    log_event(LogLevel::warn, "purge_row_drop_failed", {{"error", d.error().message}});
    co_return p;
  }
  p.finished += gone.size();
  co_return p;
}

Task<Result<PurgeProgress>> finish_stale_purges(PgPool& pg, ObjectStore& store, Duration older_than, int batch) {
  int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(older_than).count();
  auto r = co_await pg.query(purge_sql::kUnfinishedPurges, secs, static_cast<int64_t>(batch));
  if (!r.ok()) co_return std::move(r).error();
  auto files = purged_files(*r);
  PurgeProgress p = co_await finish_purge(pg, store, std::move(files));
  co_return p;
}

}  // namespace sluice::service
