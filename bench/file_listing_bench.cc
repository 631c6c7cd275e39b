// Latency of file listings (GET /v1/files's service call: the SQL the service builds, run over
// a PgPool, rows decoded) on the data of bench/file_listing_data.sql: one user with 1,000,000
// files in 1,000 folders. For each query shape: p50/p99/max over sequential calls (one in
// flight, so each figure is one request's latency), then EXPLAIN (ANALYZE, BUFFERS) of one call
// of each shape with the very statement and parameters the service runs. With --http PORT
// --token JWT the same shapes go as GET /v1/files over one keep-alive connection to a running
// `sluice serve` (authentication, query parsing and JSON included).
//   file_listing_bench --url URL [--iterations N] [--max-seconds S per shape] [--explain]
//                      [--only SUBSTRING] [--http PORT --token JWT]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/files/file_listing.h"
#include "storage/service/files/file_stats.h"
#include "storage/service/files/folder_listing.h"
#include "storage/service/files/folder_queries.h"
#include "storage/service/files/stats_queries.h"
#include "tests/support/raw_http_client.h"

namespace {

using namespace sluice;
using service::FileListing;

constexpr const char* kOwner = "bench";

struct Config {
  std::string url;
  int iterations = 200;
  double max_seconds = 8;
  bool explain = false;
  std::string only;
  uint16_t http_port = 0;  // 0: call the service directly
  std::string token;
  Reactor* reactor = nullptr;
};

// A query shape: how to make one listing of it (a random folder each time where it has one).
struct Shape {
  std::string name;
  std::function<FileListing(std::minstd_rand&)> make;
  bool to_the_end = false;  // page through the whole result with the cursor; every page timed
};

std::string iso_millis(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm t;
  gmtime_r(&secs, &t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string random_folder(std::minstd_rand& rng) {
  int f = static_cast<int>(rng() % 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "/d%d/s%02d", f % 10, f / 10);
  return buf;
}
std::string random_top(std::minstd_rand& rng) { return "/d" + std::to_string(rng() % 10); }

FileListing folder(std::minstd_rand& rng, const char* sort) {
  FileListing l;
  l.filter.path = random_folder(rng);
  l.sort = *parse_file_sort(sort);
  return l;
}

// Listing of everything below a top-level folder (100,000 files), or of all files (top = false).
FileListing subtree(std::minstd_rand& rng, bool top, const char* sort = "-createdAt") {
  FileListing l;
  if (top) {
    l.filter.path = random_top(rng);
    l.filter.recursive = true;
  }
  l.sort = *parse_file_sort(sort);
  return l;
}

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (const char* s : {"-createdAt", "createdAt", "name", "-name", "size", "-size", "updatedAt", "-updatedAt"})
    out.push_back({std::string("folder sort=") + s, [s](std::minstd_rand& rng) { return folder(rng, s); }});
  out.push_back({"folder to the end (10 pages) sort=-createdAt",
                 [](std::minstd_rand& rng) { return folder(rng, "-createdAt"); }, true});
  out.push_back({"folder to the end (10 pages) sort=name", [](std::minstd_rand& rng) { return folder(rng, "name"); },
                 true});
  // Each filter, on a subtree of 100,000 files and on all 1,000,000.
  struct Filter {
    const char* name;
    std::function<void(FileListing&, std::minstd_rand&)> apply;
  };
  std::vector<Filter> filters;
  filters.push_back({"(none)", [](FileListing&, std::minstd_rand&) {}});
  filters.push_back({"q=<6 digits> (few hits)", [](FileListing& l, std::minstd_rand& rng) {
                       l.filter.name_contains = std::to_string(100000 + rng() % 900000);
                     }});
  filters.push_back({"q=charlie (1/7 hit)", [](FileListing& l, std::minstd_rand&) { l.filter.name_contains = "charlie"; }});
  filters.push_back({"q=zzz (no hit)", [](FileListing& l, std::minstd_rand&) { l.filter.name_contains = "zzz"; }});
  filters.push_back({"contentType=image/png", [](FileListing& l, std::minstd_rand&) { l.filter.content_type = "image/png"; }});
  filters.push_back({"contentType=image/*", [](FileListing& l, std::minstd_rand&) { l.filter.content_type = "image/*"; }});
  filters.push_back({"tag=red (10%)", [](FileListing& l, std::minstd_rand&) { l.filter.tags.push_back("red"); }});
  filters.push_back({"tag=red&tag=blue (1%)", [](FileListing& l, std::minstd_rand&) {
                       l.filter.tags.push_back("red");
                       l.filter.tags.push_back("blue");
                     }});
  filters.push_back({"favorite=true (5%)", [](FileListing& l, std::minstd_rand&) { l.filter.favorite = true; }});
  filters.push_back({"visibility=public (10%)", [](FileListing& l, std::minstd_rand&) { l.filter.visibility = "public"; }});
  filters.push_back({"minSize=49000000 (2%)", [](FileListing& l, std::minstd_rand&) { l.filter.min_size = 49000000; }});
  filters.push_back({"maxSize=1000000 (2%)", [](FileListing& l, std::minstd_rand&) { l.filter.max_size = 1000000; }});
  // A one-day window somewhere in the 23 days the files span.
  filters.push_back({"createdAfter..Before (1 day)", [](FileListing& l, std::minstd_rand& rng) {
                       int64_t start = 1793491200000 + static_cast<int64_t>(rng() % 22) * 86400000;  // 2026-11-01
                       l.filter.created_after_ms = start;
                       l.filter.created_before_ms = start + 86400000 - 1;
                     }});
  for (bool top : {true, false}) {
    for (const auto& f : filters) {
      std::string name = std::string(top ? "recursive /dN " : "all files ") + f.name;
      auto apply = f.apply;
      out.push_back({name, [top, apply](std::minstd_rand& rng) {
                       FileListing l = subtree(rng, top);
                       apply(l, rng);
                       return l;
                     }});
    }
  }
  for (bool top : {true, false})
    for (const char* s : {"name", "-name", "size", "-size", "updatedAt", "-updatedAt", "createdAt"})
      out.push_back({std::string(top ? "recursive /dN sort=" : "all files sort=") + s,
                     [top, s](std::minstd_rand& rng) { return subtree(rng, top, s); }});
  return out;
}

std::string encode(std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The GET /v1/files query string of `l`.
std::string to_query(const FileListing& l) {
  const service::FileFilter& f = l.filter;
  std::string q = "sort=" + encode(file_sort_name(l.sort)) + "&limit=" + std::to_string(l.limit);
  if (f.path) q += "&path=" + encode(*f.path);
  if (f.recursive) q += "&recursive=true";
  if (f.name_contains) q += "&q=" + encode(*f.name_contains);
  if (f.content_type) q += "&contentType=" + encode(*f.content_type);
  for (const auto& t : f.tags) q += "&tag=" + encode(t);
  if (f.favorite) q += std::string("&favorite=") + (*f.favorite ? "true" : "false");
  if (f.visibility) q += "&visibility=" + *f.visibility;
  if (f.min_size) q += "&minSize=" + std::to_string(*f.min_size);
  if (f.max_size) q += "&maxSize=" + std::to_string(*f.max_size);
  if (f.created_after_ms) q += "&createdAfter=" + encode(iso_millis(*f.created_after_ms));
  if (f.created_before_ms) q += "&createdBefore=" + encode(iso_millis(*f.created_before_ms));
  if (l.cursor) q += "&cursor=" + *l.cursor;
  return q;
}

// One page over HTTP: (items, next cursor) counted from the body; an error text otherwise.
struct HttpPage {
  size_t items = 0;
  std::optional<std::string> next_cursor;
  std::string error;
};

Task<HttpPage> http_list(testing::RawHttpClient& c, const Config& cfg, std::string query) {
  HttpPage out;
  std::string req = "GET /v1/files?" + query + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + cfg.token + "\r\n\r\n";
  Status sent = co_await c.send(std::move(req));
  if (!sent.ok()) {
    out.error = sent.error().message;
    co_return out;
  }
  auto r = co_await c.read_response(std::chrono::seconds(30));
  if (!r.ok() || r->status != 200) {
    out.error = r.ok() ? "status " + std::to_string(r->status) + ": " + r->body : r.error().message;
    co_return out;
  }
  for (size_t at = r->body.find("\"owner\":"); at != std::string::npos; at = r->body.find("\"owner\":", at + 1))
    ++out.items;
  size_t nc = r->body.rfind("\"nextCursor\":\"");
  if (nc != std::string::npos) {
    size_t start = nc + 14, end = r->body.find('"', start);
    out.next_cursor = r->body.substr(start, end - start);
  }
  co_return out;
}

struct Figures {
  std::vector<double> ms;
  size_t rows = 0;
  std::string error;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Task<void> measure_http(Reactor& r, const Shape& shape, const Config& cfg, Figures& out) {
  auto conn = co_await testing::RawHttpClient::connect(r, cfg.http_port);
  if (!conn.ok()) {
    out.error = conn.error().message;
    co_return;
  }
  std::minstd_rand rng(12345);
  auto started = Clock::now();
  for (int i = 0; i < cfg.iterations; ++i) {
    if (std::chrono::duration<double>(Clock::now() - started).count() > cfg.max_seconds) break;
    FileListing l = shape.make(rng);
    for (;;) {
      std::string query = to_query(l);
      auto t0 = Clock::now();
      HttpPage page = co_await http_list(**conn, cfg, std::move(query));
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!page.error.empty()) {
        out.error = page.error;
        break;
      }
      out.ms.push_back(ms);
      out.rows += page.items;
      if (!shape.to_the_end || !page.next_cursor) break;
      l.cursor = *page.next_cursor;
    }
    if (!out.error.empty()) break;
  }
  co_await (*conn)->close();
}

Task<void> measure(PgPool& pg, const Shape& shape, const Config& cfg, Figures& out) {
  if (cfg.http_port != 0) {
    co_await measure_http(*cfg.reactor, shape, cfg, out);
    co_return;
  }
  std::minstd_rand rng(12345);
  Principal who;
  who.user_id = kOwner;
  auto started = Clock::now();
  for (int i = 0; i < cfg.iterations; ++i) {
    if (std::chrono::duration<double>(Clock::now() - started).count() > cfg.max_seconds) break;
    FileListing l = shape.make(rng);
    for (;;) {
      auto t0 = Clock::now();
      auto page = co_await service::list_files(pg, who, l);
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!page.ok()) {
        out.error = page.error().message;
        co_return;
      }
      out.ms.push_back(ms);
      out.rows += page->items.size();
      if (!shape.to_the_end || !page->next_cursor) break;
      l.cursor = *page->next_cursor;
    }
  }
}

// GET /v1/folders and GET /v1/stats: aggregates over a subtree, so their cost grows with it.
Task<void> measure_aggregates(PgPool& pg, const Config& cfg) {
  Principal who;
  who.user_id = kOwner;
  struct Agg {
    const char* name;
    std::string path;  // empty: stats
  };
  std::vector<Agg> aggs;
  aggs.push_back({"folders path=/d3/s07 (leaf, 1,000 files)", "/d3/s07"});
  aggs.push_back({"folders path=/d3 (100 sub-folders, 100,000 files)", "/d3"});
  aggs.push_back({"folders path=/ (10 sub-folders, 1,000,000 files)", "/"});
  aggs.push_back({"stats (1,000,000 files)", ""});
  for (const auto& a : aggs) {
    if (!cfg.only.empty() && std::string(a.name).find(cfg.only) == std::string::npos) continue;
    std::vector<double> ms;
    auto started = Clock::now();
    for (int i = 0; i < cfg.iterations + 1; ++i) {
      if (std::chrono::duration<double>(Clock::now() - started).count() > cfg.max_seconds) break;
      auto t0 = Clock::now();
      bool ok = true;
      if (a.path.empty()) {
        auto st = co_await service::user_file_stats(pg, kOwner);
        ok = st.ok();
      } else {
        std::optional<std::string> no_cursor;
        auto f = co_await service::list_folders(pg, who, a.path, 100, no_cursor);
        ok = f.ok();
      }
      if (!ok) {
        std::printf("%-52s error\n", a.name);
        break;
      }
      if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());  // 0 warms
    }
    std::printf("%-52s %6zu %9.2f %9.2f %9.2f\n", a.name, ms.size(), percentile(ms, 0.5), percentile(ms, 0.99),
                percentile(ms, 1.0));
    std::fflush(stdout);
  }
}

Task<void> explain_aggregates(PgPool& pg) {
  std::vector<std::string> statements;
  statements.push_back(std::string("EXPLAIN (ANALYZE, BUFFERS) ") + folder_sql::kSubfolders.sql);
  statements.push_back(std::string("EXPLAIN (ANALYZE, BUFFERS) ") + stats_sql::kUserStats.sql);
  for (size_t i = 0; i < statements.size(); ++i) {
    PgParams params;
    if (i == 0) {
      params = PgParams(kOwner, "/d3/", "/d30", "", 101);
      std::printf("\n-- folders path=/d3\n");
    } else {
      params = PgParams(kOwner);
      std::printf("\n-- stats\n");
    }
    std::string sql = statements[i];
    auto r = co_await pg.execute_params(std::move(sql), std::move(params), deadline_after(std::chrono::minutes(1)));
    if (!r.ok()) {
      std::printf("explain failed: %s\n", r.error().message.c_str());
      continue;
    }
    for (int row = 0; row < r->rows(); ++row) std::printf("%s\n", std::string(r->text(row, 0)).c_str());
  }
}

Task<void> explain(PgPool& pg, const Shape& shape) {
  std::minstd_rand rng(12345);
  FileListing l = shape.make(rng);
  auto q = service::listing_sql(kOwner, l);
  if (!q.ok()) co_return;
  std::printf("\n-- %s\n%s\n", shape.name.c_str(), q->sql.c_str());
  std::string sql = "EXPLAIN (ANALYZE, BUFFERS) " + q->sql;
  auto r = co_await pg.execute_params(std::move(sql), std::move(q->params), deadline_after(std::chrono::minutes(1)));
  if (!r.ok()) {
    std::printf("explain failed: %s\n", r.error().message.c_str());
    co_return;
  }
  for (int i = 0; i < r->rows(); ++i) std::printf("%s\n", std::string(r->text(i, 0)).c_str());
}

Task<void> run(Reactor& r, Config cfg, int& exit_code) {
  PgOptions o;
  o.url = cfg.url;
  o.connections = 1;
  o.query_timeout = std::chrono::minutes(1);
  cfg.reactor = &r;
  PgPool pg(r, o);
  Status s = co_await pg.start();
  if (!s) {
    std::fprintf(stderr, "file_listing_bench: %s\n", s.error().message.c_str());
    exit_code = 1;
  } else {
    std::vector<Shape> all = shapes();
    std::printf("# %s\n", cfg.http_port ? "GET /v1/files over HTTP (keep-alive, one request in flight)"
                                          : "service::list_files (SQL + decoding, no HTTP)");
    std::printf("%-52s %6s %9s %9s %9s %8s\n", "shape (page of 100)", "pages", "p50 ms", "p99 ms", "max ms", "rows/pg");
    for (const auto& shape : all) {
      if (!cfg.only.empty() && shape.name.find(cfg.only) == std::string::npos) continue;
      Figures warm;
      Config once = cfg;
      once.iterations = 3;
      co_await measure(pg, shape, once, warm);  // warm the cache and the plan
      Figures f;
      co_await measure(pg, shape, cfg, f);
      if (!f.error.empty()) {
        std::printf("%-52s error: %s\n", shape.name.c_str(), f.error.c_str());
        exit_code = 1;
        continue;
      }
      std::printf("%-52s %6zu %9.2f %9.2f %9.2f %8.1f\n", shape.name.c_str(), f.ms.size(), percentile(f.ms, 0.5),
                  percentile(f.ms, 0.99), percentile(f.ms, 1.0),
                  f.ms.empty() ? 0.0 : static_cast<double>(f.rows) / static_cast<double>(f.ms.size()));
      std::fflush(stdout);
    }
    if (cfg.http_port == 0) co_await measure_aggregates(pg, cfg);
    if (cfg.explain) {
      for (const auto& shape : all)
        if (cfg.only.empty() || shape.name.find(cfg.only) != std::string::npos) co_await explain(pg, shape);
      if (cfg.only.empty()) co_await explain_aggregates(pg);
    }
  }
  co_await pg.close();
  r.stop();
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url") cfg.url = next();
    else if (a == "--iterations") cfg.iterations = std::atoi(next().c_str());
    else if (a == "--max-seconds") cfg.max_seconds = std::atof(next().c_str());
    else if (a == "--explain") cfg.explain = true;
    else if (a == "--only") cfg.only = next();
    else if (a == "--http") cfg.http_port = static_cast<uint16_t>(std::atoi(next().c_str()));
    else if (a == "--token") cfg.token = next();
    else {
      std::fprintf(stderr, "usage: file_listing_bench --url URL [--iterations N] [--max-seconds S] [--explain] [--only S]\n");
      return 2;
    }
  }
  if (cfg.url.empty()) {
    std::fprintf(stderr, "file_listing_bench: --url is required\n");
    return 2;
  }
  auto r = Reactor::create(0, ReactorOptions{});
  if (!r) {
    std::fprintf(stderr, "file_listing_bench: %s\n", r.error().message.c_str());
    return 1;
  }
  (*r)->set_peers({r->get()});
  int exit_code = 0;
  spawn(run(**r, cfg, exit_code));
  (*r)->run();
  return exit_code;
}
