// End to end: GET /v1/files on a running service with real PostgreSQL: every filter, each sort
// both ways (ties, all files and one folder), limits, bad parameters, cursor paging while files
// come and go, and the files:read scope. Folders and stats: folder_stats_api_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/storage/api/file_rows.h"

namespace sluice {
namespace {

using testing::as_set;
using testing::insert_file;
using testing::json_field;
using testing::kT0;
using testing::list;
using testing::Page;
using testing::parse_page;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::set_status;
using testing::Spec;
using testing::token_for;
using testing::with_service;

// ---------------------------------------------------------------- filters

// The files of the filter tests; see each expectation below.
std::vector<Spec> filter_files() {
  std::vector<Spec> v(8);
  v[0].name = "Report_2024.pdf", v[0].size = 100, v[0].content_type = "application/pdf", v[0].tags = {"work"};
  v[1].path = "/docs", v[1].name = "report%done.txt", v[1].size = 200, v[1].content_type = "text/plain",
  v[1].tags = {"work", "urgent"}, v[1].favorite = true;
  v[2].path = "/pics", v[2].name = "photo.PNG", v[2].size = 300, v[2].content_type = "image/png",
  v[2].visibility = "public";
  v[3].path = "/pics/2024", v[3].name = "holiday.jpg", v[3].size = 400, v[3].content_type = "image/jpeg",
  v[3].tags = {"family"}, v[3].favorite = true, v[3].visibility = "public";
  v[4].path = "/music", v[4].name = "song.mp3", v[4].size = 500, v[4].content_type = "audio/mpeg",
  v[4].tags = {"work"};
  v[5].path = "/docs/old", v[5].name = "archive.zip", v[5].size = 600, v[5].content_type = "application/zip",
  v[5].tags = {"urgent"};
  v[6].path = "/docs", v[6].name = "REPORTS.md", v[6].size = 700, v[6].content_type = "text/markdown";
  // A sibling whose path begins with "/docs": never in /docs's subtree.
  v[7].path = "/docs-x", v[7].name = "x.bin", v[7].size = 800;
  for (size_t i = 0; i < v.size(); ++i) {
    v[i].created_us = kT0 + static_cast<int64_t>(i) * 10 * 1000000;
    v[i].updated_us = v[i].created_us;
  }
  v[2].created_us += 500;  // photo.PNG: 2026-03-01T00:00:20.000500Z, shown as ...20.000Z
  return v;
}

struct FilterCase {
  std::string query;
  std::set<std::string> names;
};

std::vector<FilterCase> filter_cases() {
  std::vector<FilterCase> c;
  auto add = [&c](std::string q, std::set<std::string> names) { c.push_back({std::move(q), std::move(names)}); };
  add("", {"Report_2024.pdf", "report%done.txt", "photo.PNG", "holiday.jpg", "song.mp3", "archive.zip", "REPORTS.md",
           "x.bin"});
  add("q=report", {"Report_2024.pdf", "report%done.txt", "REPORTS.md"});
  add("q=REPORT", {"Report_2024.pdf", "report%done.txt", "REPORTS.md"});
  add("q=%25", {"report%done.txt"});     // % is literal
  add("q=_", {"Report_2024.pdf"});       // _ is literal
  add("q=rt%25d", {"report%done.txt"});  // unescaped, "rt%d" would match REPORTS.md too
  add("q=%5C", {});                      // a backslash matches only a backslash
  add("q=zzz", {});
  add("contentType=image/png", {"photo.PNG"});
  add("contentType=image/*", {"photo.PNG", "holiday.jpg"});
  add("contentType=text/*", {"report%done.txt", "REPORTS.md"});
  add("contentType=image/gif", {});
  add("tag=work", {"Report_2024.pdf", "report%done.txt", "song.mp3"});
  add("tag=work&tag=urgent", {"report%done.txt"});
  add("tag=urgent&tag=family", {});
  add("favorite=true", {"report%done.txt", "holiday.jpg"});
  add("favorite=false", {"Report_2024.pdf", "photo.PNG", "song.mp3", "archive.zip", "REPORTS.md", "x.bin"});
  add("visibility=public", {"photo.PNG", "holiday.jpg"});
  add("visibility=private", {"Report_2024.pdf", "report%done.txt", "song.mp3", "archive.zip", "REPORTS.md", "x.bin"});
  add("minSize=700", {"REPORTS.md", "x.bin"});
  add("maxSize=200", {"Report_2024.pdf", "report%done.txt"});
  add("minSize=200&maxSize=400", {"report%done.txt", "photo.PNG", "holiday.jpg"});
  add("minSize=0&maxSize=0", {});
  // Inclusive to the millisecond the API shows: photo.PNG was created at 20.000500.
  add("createdAfter=2026-03-01T00:00:20Z", {"photo.PNG", "holiday.jpg", "song.mp3", "archive.zip", "REPORTS.md", "x.bin"});
  add("createdAfter=2026-03-01T00:00:20.001Z", {"holiday.jpg", "song.mp3", "archive.zip", "REPORTS.md", "x.bin"});
  add("createdBefore=2026-03-01T00:00:20.000Z", {"Report_2024.pdf", "report%done.txt", "photo.PNG"});
  add("createdBefore=2026-03-01T00:00:19.999Z", {"Report_2024.pdf", "report%done.txt"});
  add("createdAfter=2026-03-01T01:00:10%2B01:00&createdBefore=2026-03-01T00:00:30Z", {"report%done.txt", "photo.PNG",
                                                                                      "holiday.jpg"});
  add("path=/", {"Report_2024.pdf"});
  add("path=/docs", {"report%done.txt", "REPORTS.md"});
  add("path=/docs/", {"report%done.txt", "REPORTS.md"});
  add("path=/docs&recursive=true", {"report%done.txt", "REPORTS.md", "archive.zip"});
  add("path=/docs&recursive=false", {"report%done.txt", "REPORTS.md"});
  add("path=/pics&recursive=true", {"photo.PNG", "holiday.jpg"});
  add("path=/pic&recursive=true", {});
  add("path=/nothing", {});
  add("path=/&recursive=true", {"Report_2024.pdf", "report%done.txt", "photo.PNG", "holiday.jpg", "song.mp3",
                                "archive.zip", "REPORTS.md", "x.bin"});
  add("path=/docs&recursive=true&q=report", {"report%done.txt", "REPORTS.md"});
  add("path=/docs&recursive=true&tag=urgent&maxSize=250", {"report%done.txt"});
  return c;
}

TEST(FileListApi, EveryFilterOnlyLiveFilesOfTheCaller) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("fil");
    std::string tok = token_for(user);
    std::vector<Spec> files = filter_files();
    for (const Spec& s : files) {
      std::string id = co_await insert_file(env, user, s);
      EXPECT_FALSE(id.empty());
    }
    // Never listed: a trashed file, a deleted one, an unfinished upload and another user's.
    Spec hidden;
    hidden.path = "/docs";
    hidden.name = "report-trashed.pdf";
    hidden.status = "trashed";
    (void)co_await insert_file(env, user, hidden);
    hidden.name = "report-uploading.pdf";
    hidden.status = "uploading";
    (void)co_await insert_file(env, user, hidden);
    hidden.name = "report-other.pdf";
    hidden.status = "available";
    std::string other = env.user("other");
    (void)co_await insert_file(env, other, hidden);
    for (const FilterCase& c : filter_cases()) {
      Page p = co_await list(env, tok, c.query);
      EXPECT_EQ(p.status, 200) << c.query << ": " << p.error_code;
      EXPECT_EQ(as_set(p.names), c.names) << c.query;
      EXPECT_EQ(p.names.size(), c.names.size()) << c.query;
      EXPECT_EQ(p.next_cursor, "") << c.query;
    }
    // The other user sees only their file.
    std::string other_tok = token_for(other);
    Page theirs = co_await list(env, other_tok, "q=report");
    EXPECT_EQ(theirs.names.size(), 1u);
    if (theirs.names.size() == 1) {
      EXPECT_EQ(theirs.names[0], "report-other.pdf");
    }
    // An admin's listing is their own files too (no owner parameter).
    std::string admin_tok = token_for(env.user("boss"), auth::Role::admin);
    Page admins = co_await list(env, admin_tok, "");
    EXPECT_EQ(admins.status, 200);
    EXPECT_TRUE(admins.names.empty());
    // Items are the file JSON of GET /v1/files/{id}.
    RawResponse raw = co_await env.request("GET", "/v1/files?q=holiday", tok);
    Page one = parse_page(raw);
    EXPECT_EQ(one.ids.size(), 1u);
    if (one.ids.size() == 1) {
      RawResponse single = co_await env.request("GET", "/v1/files/" + one.ids[0], tok);
      EXPECT_NE(raw.body.find(single.body), std::string::npos) << raw.body << "\n" << single.body;
      EXPECT_NE(raw.body.find("\"createdAt\":\"2026-03-01T00:00:30.000Z\""), std::string::npos) << raw.body;
    }
    EXPECT_EQ((co_await env.request("GET", "/v1/files", "")).status, 401);
  });
}

std::vector<std::pair<std::string, std::string>> bad_queries() {
  return {
        {"limit=0", "invalid_request"},
      {"limit=1001", "invalid_request"},
      {"limit=ten", "invalid_request"},
      {"limit=", "invalid_request"},
      {"limit=-1", "invalid_request"},
      {"sort=color", "invalid_request"},
      {"sort=--name", "invalid_request"},
      {"sort=", "invalid_request"},
      {"favorite=yes", "invalid_request"},
      {"recursive=1", "invalid_request"},
      {"recursive=true", "invalid_request"},  // without a path
      {"visibility=secret", "invalid_request"},
      {"contentType=image", "invalid_request"},
      {"contentType=*/*", "invalid_request"},
      {"contentType=image/%25", "invalid_request"},
      {"minSize=-1", "invalid_request"},
      {"maxSize=1e3", "invalid_request"},
      {"minSize=10&maxSize=9", "invalid_request"},
      {"createdAfter=yesterday", "invalid_request"},
      {"createdBefore=2026-03-01", "invalid_request"},
      {"createdAfter=2026-03-02T00:00:00Z&createdBefore=2026-03-01T00:00:00Z", "invalid_request"},
      {"path=/a/../b", "invalid_request"},
      {"q=", "invalid_request"},
      {"q=" + std::string(256, 'x'), "invalid_request"},
      {"tag=", "invalid_request"},
      {"owner=someone", "invalid_request"},
      {"q=%zz", "invalid_request"},
      {"cursor=", "invalid_cursor"},
      {"cursor=not*base64", "invalid_cursor"},
      {"cursor=aGVsbG8", "invalid_cursor"},  // "hello"
  };
}

TEST(FileListApi, BadParametersAre400WithAPreciseCode) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("bad"));
    std::vector<std::pair<std::string, std::string>> bad = bad_queries();
    for (const auto& [query, code] : bad) {
      Page p = co_await list(env, tok, query);
      EXPECT_EQ(p.status, 400) << query;
      EXPECT_EQ(p.error_code, code) << query;
    }
    // Limits 1 and 1000 are fine.
    EXPECT_EQ((co_await list(env, tok, "limit=1")).status, 200);
    EXPECT_EQ((co_await list(env, tok, "limit=1000")).status, 200);
  });
}

// ---------------------------------------------------------------- sorts and cursors

struct Row {
  std::string id, path, name;
  int64_t size, created, updated;
};

// Files with ties in every key (names repeat across folders, sizes and times repeat).
std::vector<Spec> sort_files() {
  std::vector<Spec> v;
  // Names are unique per folder (/s{i % 4}), as live names must be.
  const char* names[] = {"b", "a", "B", "a b", "ab", "é", "Z", "b", "a", "c", "a", "b0", "é"};
  for (int i = 0; i < 13; ++i) {
    Spec s;
    s.path = "/s" + std::to_string(i % 4);
    s.name = names[i];
    s.size = (i * 7) % 5;
    s.created_us = kT0 + (i % 6) * 1000 + (i == 3 ? 1 : 0);  // microsecond differences count
    s.updated_us = kT0 + ((i * 5) % 4) * 1000000;
    v.push_back(s);
  }
  return v;
}

std::vector<std::string> sort_scopes() { return {"", "path=/s0&"}; }

std::vector<std::string> sort_keys() { return {"createdAt", "updatedAt", "name", "size"}; }

TEST(FileListApi, EverySortBothWaysPagedWithTies) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("sorter");
    std::string tok = token_for(user);
    std::vector<Row> rows;
    for (const Spec& s : sort_files()) {
      std::string id = co_await insert_file(env, user, s);
      rows.push_back(Row{id, s.path, s.name, s.size, s.created_us, s.updated_us});
    }
    std::vector<std::string> keys = sort_keys();
    // All files, then one folder (a folder orders size and updatedAt its own way: listing_queries.h).
    std::vector<std::string> scopes = sort_scopes();
    for (const std::string& scope : scopes)
    for (const std::string& key : keys) {
      for (int desc = 0; desc < 2; ++desc) {
        std::vector<Row> want;
        for (const Row& r : rows)
          if (scope.empty() || r.path == "/s0") want.push_back(r);
        std::sort(want.begin(), want.end(), [&](const Row& a, const Row& b) {
          int c = 0;
          if (key == "name") c = a.name.compare(b.name);  // bytewise
          if (key == "size") c = a.size < b.size ? -1 : a.size > b.size;
          if (key == "createdAt") c = a.created < b.created ? -1 : a.created > b.created;
          if (key == "updatedAt") c = a.updated < b.updated ? -1 : a.updated > b.updated;
          if (c == 0) c = a.id.compare(b.id);
          return desc ? c > 0 : c < 0;
        });
        std::string sort = (desc ? "-" : "") + key;
        for (int limit : {1, 4, 13, 100}) {
          std::vector<std::string> got;
          std::string cursor;
          int pages = 0;
          do {
            std::string q = scope + "sort=" + sort + "&limit=" + std::to_string(limit) +
                            (cursor.empty() ? "" : "&cursor=" + cursor);
            Page p = co_await list(env, tok, q);
            EXPECT_EQ(p.status, 200) << q << " " << p.error_code;
            if (p.status != 200) break;
            EXPECT_LE(p.ids.size(), static_cast<size_t>(limit));
            got.insert(got.end(), p.ids.begin(), p.ids.end());
            cursor = p.next_cursor;
            ++pages;
          } while (!cursor.empty() && pages < 20);
          std::vector<std::string> want_ids;
          for (const Row& r : want) want_ids.push_back(r.id);
          EXPECT_EQ(got, want_ids) << scope << "sort=" << sort << " limit=" << limit;
          // Exactly full pages carry a cursor only when more rows follow.
          int n = static_cast<int>(want.size());
          EXPECT_EQ(pages, (n + limit - 1) / limit) << scope << "sort=" << sort << " limit=" << limit;
        }
      }
    }
    // Default: -createdAt.
    Page def = co_await list(env, tok, "limit=3");
    Page explicit_sort = co_await list(env, tok, "limit=3&sort=-createdAt");
    EXPECT_EQ(def.ids, explicit_sort.ids);
    // A cursor is bound to its sort.
    Page first = co_await list(env, tok, "sort=name&limit=2");
    std::string mismatch_query = "sort=-name&limit=2&cursor=" + first.next_cursor;
    Page mismatch = co_await list(env, tok, mismatch_query);
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_EQ(mismatch.error_code, "invalid_cursor");
    // A tampered cursor (flipped bit in the middle) is refused or reads as another valid position,
    // never a 500.
    std::string tampered = first.next_cursor;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    std::string t_query = "sort=name&limit=2&cursor=" + tampered;
    Page t = co_await list(env, tok, t_query);
    EXPECT_TRUE(t.status == 200 || (t.status == 400 && t.error_code == "invalid_cursor")) << t.status;
  });
}

TEST(FileListApi, DefaultLimitIs100AndFiltersKeepApplyingAcrossPages) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("many");
    std::string tok = token_for(user);
    for (int i = 0; i < 130; ++i) {
      Spec s;
      s.path = "/m";
      s.name = "f" + std::to_string(i);
      s.size = i;
      s.created_us = kT0 + i;
      s.favorite = i % 2 == 0;
      (void)co_await insert_file(env, user, s);
    }
    Page p = co_await list(env, tok, "");
    EXPECT_EQ(p.ids.size(), 100u);
    EXPECT_FALSE(p.next_cursor.empty());
    std::string rest_query = "cursor=" + p.next_cursor;
    Page rest = co_await list(env, tok, rest_query);
    EXPECT_EQ(rest.ids.size(), 30u);
    EXPECT_EQ(rest.next_cursor, "");
    EXPECT_EQ(rest.names.back(), "f0");
    // favorite=true&sort=size in pages of 20: the 65 even sizes in order.
    std::vector<std::string> names;
    std::string cursor;
    for (int pages = 0; pages < 10; ++pages) {
      std::string q = "favorite=true&sort=size&limit=20&path=/m" + (cursor.empty() ? "" : "&cursor=" + cursor);
      Page page = co_await list(env, tok, q);
      names.insert(names.end(), page.names.begin(), page.names.end());
      cursor = page.next_cursor;
      if (cursor.empty()) break;
    }
    EXPECT_EQ(names.size(), 65u);
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], "f" + std::to_string(2 * i));
  });
}

// Pages stay correct while files are added and removed between them: no file twice, and every
// file that existed before the first page and still exists is seen exactly once.
std::vector<std::string> paging_sorts() { return {"-createdAt", "name", "-size", "updatedAt"}; }

TEST(FileListApi, CursorPagingUnderConcurrentInsertsAndDeletes) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("pager");
    std::string tok = token_for(user);
    std::vector<std::string> sorts = paging_sorts();
    int round = 0;
    for (const std::string& sort : sorts) {
      std::string folder = "/p" + std::to_string(round++);
      std::map<std::string, std::string> initial;  // id -> name
      std::vector<std::string> initial_order;
      for (int i = 0; i < 230; ++i) {
        Spec s;
        s.path = folder;
        s.name = "n" + std::to_string(1000 + (i * 37) % 230);
        s.size = (i * 13) % 50;
        s.created_us = kT0 + static_cast<int64_t>(i) * 1000;
        s.updated_us = kT0 + static_cast<int64_t>((i * 11) % 230) * 1000;
        std::string id = co_await insert_file(env, user, s);
        initial[id] = s.name;
        initial_order.push_back(id);
      }
      std::set<std::string> seen, removed;
      std::vector<std::string> duplicates;
      std::string cursor;
      int extra = 0;
      for (int pages = 0; pages < 50; ++pages) {
        std::string q = "path=" + folder + "&sort=" + sort + "&limit=40" + (cursor.empty() ? "" : "&cursor=" + cursor);
        Page p = co_await list(env, tok, q);
        EXPECT_EQ(p.status, 200) << q;
        for (const auto& id : p.ids)
          if (!seen.insert(id).second) duplicates.push_back(id);
        for (const auto& id : p.ids) EXPECT_EQ(removed.count(id), 0u) << "a removed file was listed";
        cursor = p.next_cursor;
        if (cursor.empty()) break;
        // Between pages: new files at both ends of every order, and some removals (seen and unseen).
        for (int k = 0; k < 3; ++k) {
          Spec s;
          s.path = folder;
          s.name = (k % 2 ? "a-new-" : "z-new-") + std::to_string(extra);
          s.size = k % 2 ? 0 : 1000;
          s.created_us = k % 2 ? kT0 - 1000000 - extra : kT0 + 900000000 + extra;
          s.updated_us = s.created_us;
          (void)co_await insert_file(env, user, s);
          ++extra;
        }
        int unseen_removed = 0, seen_removed = 0;
        for (const auto& id : initial_order) {
          if (removed.count(id)) continue;
          bool was_seen = seen.count(id) > 0;
          if (!was_seen && unseen_removed < 2) {
            co_await set_status(env, id, "trashed");
            removed.insert(id);
            ++unseen_removed;
          } else if (was_seen && seen_removed < 1) {
            co_await set_status(env, id, "trashed");
            removed.insert(id);
            ++seen_removed;
          }
        }
      }
      EXPECT_TRUE(duplicates.empty()) << sort << ": " << duplicates.size() << " listed twice";
      int missed = 0;
      for (const auto& [id, name] : initial)
        if (!removed.count(id) && !seen.count(id)) ++missed;
      EXPECT_EQ(missed, 0) << sort << ": pre-existing files skipped";
      EXPECT_GT(removed.size(), 0u);
    }
  });
}

std::vector<std::string> browsing_routes() { return {"/v1/files", "/v1/folders?path=/", "/v1/stats"}; }

// The browsing routes need files:read: an API key with only files:write is refused (403
// insufficient_scope naming the scope), one with files:read is let through.
TEST(FileListApi, RoutesNeedTheFilesReadScope) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("scoped"));
    std::string kJson = "Content-Type: application/json\r\n";
    RawResponse writer = co_await env.request("POST", "/v1/keys", tok, R"({"name":"w","scopes":["files:write"]})", kJson);
    RawResponse reader = co_await env.request("POST", "/v1/keys", tok, R"({"name":"r","scopes":["files:read"]})", kJson);
    EXPECT_EQ(writer.status, 201) << writer.body;
    EXPECT_EQ(reader.status, 201) << reader.body;
    std::string writer_key = json_field(writer.body, "key");
    std::string reader_key = json_field(reader.body, "key");
    std::vector<std::string> routes = browsing_routes();
    for (const std::string& route : routes) {
      RawResponse refused = co_await env.request("GET", route, writer_key);
      EXPECT_EQ(refused.status, 403) << route;
      EXPECT_NE(refused.body.find("\"requiredScope\":\"files:read\""), std::string::npos) << route << refused.body;
      RawResponse allowed = co_await env.request("GET", route, reader_key);
      EXPECT_EQ(allowed.status, 200) << route << allowed.body;
    }
  });
}

}  // namespace
}  // namespace sluice
