#include "storage/service/files/file_stats.h"

#include "storage/service/files/stats_queries.h"

namespace sluice::service {

namespace {

Result<CountBytes> count_bytes(const PgResult& r, int row, int first_col) {
  CountBytes c;
  c.key = std::string(r.text(row, first_col));
  auto n = r.int64(row, first_col + 1);
  if (!n.ok()) return std::move(n).error();
  auto b = r.int64(row, first_col + 2);
  if (!b.ok()) return std::move(b).error();
  c.count = *n;
  c.bytes = *b;
  return c;
}

// Reads the rows of SLUICE_SQL_FILE_STATS.
Result<FileStats> read_stats(const PgResult& r) {
  FileStats s;
  for (auto name : kFileCategories) s.by_category.push_back(CountBytes{std::string(name), 0, 0});
  for (int i = 0; i < r.rows(); ++i) {
    auto c = count_bytes(r, i, 1);
    if (!c.ok()) return std::move(c).error();
    std::string_view kind = r.text(i, 0);
    if (kind == "t") {
      s.total = std::move(*c);
      s.total.key.clear();
    } else if (kind == "c") {
      for (auto& cat : s.by_category)
        if (cat.key == c->key) cat = std::move(*c);
    } else {
      s.by_folder.push_back(std::move(*c));
    }
  }
  return s;
}

}  // namespace

Task<Result<FileStats>> user_file_stats(PgPool& pg, std::string owner) {
  auto r = co_await pg.query(stats_sql::kUserStats, owner);
  if (!r.ok()) co_return std::move(r).error();
  co_return read_stats(*r);
}

Task<Result<FileStats>> all_file_stats(PgPool& pg) {
  auto r = co_await pg.query(stats_sql::kAllStats);
  if (!r.ok()) co_return std::move(r).error();
  auto s = read_stats(*r);
  if (!s.ok()) co_return std::move(s).error();
  auto days = co_await pg.query(stats_sql::kUploadsPerDay);
  if (!days.ok()) co_return std::move(days).error();
  for (int i = 0; i < days->rows(); ++i) {
    auto d = count_bytes(*days, i, 0);
    if (!d.ok()) co_return std::move(d).error();
    s->uploads_per_day.push_back(std::move(*d));
  }
  co_return std::move(*s);
}

}  // namespace sluice::service
