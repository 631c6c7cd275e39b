// End to end: GET /v1/folders (sub-folders with exact subtree counts and bytes, paged, bad input)
// and GET /v1/stats / GET /v1/admin/stats (by category and top-level folder, exact sums; uploads
// per day for admins only) on a running service with real PostgreSQL.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/storage/api/file_rows.h"

namespace sluice {
namespace {

using testing::insert_file;
using testing::list;
using testing::Page;
using testing::RawResponse;
using testing::ServiceEnv;
using testing::set_status;
using testing::Spec;
using testing::token_for;
using testing::with_service;

// ---------------------------------------------------------------- folders

struct Folder {
  std::string path, name;
  int64_t count, bytes;
};

struct FolderPage {
  int status = 0;
  std::vector<Folder> items;
  std::string next_cursor, error_code;
};

FolderPage parse_folders(const RawResponse& resp) {
  FolderPage p;
  p.status = resp.status;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(resp.body).get(doc) != simdjson::SUCCESS) return p;
  std::string_view s;
  if (resp.status != 200) {
    if (doc["error"]["code"].get_string().get(s) == simdjson::SUCCESS) p.error_code = std::string(s);
    return p;
  }
  simdjson::dom::array items;
  EXPECT_EQ(doc["items"].get_array().get(items), simdjson::SUCCESS);
  for (auto item : items) {
    Folder f;
    std::string_view path, name;
    int64_t n = -1, b = -1;
    EXPECT_EQ(item["path"].get_string().get(path), simdjson::SUCCESS);
    EXPECT_EQ(item["name"].get_string().get(name), simdjson::SUCCESS);
    EXPECT_EQ(item["fileCount"].get_int64().get(n), simdjson::SUCCESS);
    EXPECT_EQ(item["bytes"].get_int64().get(b), simdjson::SUCCESS);
    p.items.push_back(Folder{std::string(path), std::string(name), n, b});
  }
  if (doc["nextCursor"].get_string().get(s) == simdjson::SUCCESS) p.next_cursor = std::string(s);
  return p;
}

Task<FolderPage> folders(ServiceEnv& env, std::string token, std::string query) {
  std::string target = "/v1/folders" + (query.empty() ? std::string() : "?" + query);
  RawResponse r = co_await env.request("GET", std::move(target), std::move(token));
  co_return parse_folders(r);
}

std::string describe(const std::vector<Folder>& v) {
  std::string s;
  for (const auto& f : v)
    s += f.path + "|" + f.name + "|" + std::to_string(f.count) + "|" + std::to_string(f.bytes) + " ";
  return s;
}

struct Placed {
  const char* path;
  int64_t size;
  const char* status;
  const char* type = "application/octet-stream";
};

std::vector<Placed> folder_layout() {
  return {{"/", 10, "available"},    {"/a", 20, "available"},     {"/a", 30, "available"},
          {"/a/b", 40, "available"}, {"/a/b/c", 50, "available"}, {"/a b", 60, "available"},
          {"/z", 70, "available"},   {"/a/x", 100, "trashed"},    {"/gone", 5, "trashed"}};
}

TEST(FolderStatsApi, FoldersWithSubtreeCountsAndBytes) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("fold");
    std::string tok = token_for(user);
    std::vector<Placed> layout = folder_layout();
    int i = 0;
    for (const auto& l : layout) {
      Spec s;
      s.path = l.path;
      s.name = "f" + std::to_string(i++);
      s.size = l.size;
      s.status = l.status;
      (void)co_await insert_file(env, user, s);
    }
    Spec theirs;
    theirs.path = "/a/theirs";
    theirs.name = "t";
    theirs.size = 999;
    (void)co_await insert_file(env, env.user("someone"), theirs);
    // An uploaded file counts like any other.
    RawResponse up = co_await env.request("PUT", "/v1/files/content?path=/z/up&name=u.bin", tok, std::string(5, 'u'),
                                          "Content-Type: application/octet-stream\r\n");
    EXPECT_EQ(up.status, 201) << up.body;

    FolderPage root = co_await folders(env, tok, "");
    EXPECT_EQ(root.status, 200);
    EXPECT_EQ(describe(root.items), "/a|a|4|140 /a b|a b|1|60 /z|z|2|75 ");
    EXPECT_EQ(root.next_cursor, "");
    FolderPage same = co_await folders(env, tok, "path=/");
    EXPECT_EQ(describe(same.items), describe(root.items));
    FolderPage a = co_await folders(env, tok, "path=/a");
    EXPECT_EQ(describe(a.items), "/a/b|b|2|90 ");
    FolderPage a_slash = co_await folders(env, tok, "path=/a/");
    EXPECT_EQ(describe(a_slash.items), "/a/b|b|2|90 ");
    FolderPage ab = co_await folders(env, tok, "path=/a/b");
    EXPECT_EQ(describe(ab.items), "/a/b/c|c|1|50 ");
    FolderPage leaf = co_await folders(env, tok, "path=/a/b/c");
    EXPECT_EQ(leaf.status, 200);
    EXPECT_TRUE(leaf.items.empty());
    FolderPage none = co_await folders(env, tok, "path=/nowhere");
    EXPECT_EQ(none.status, 200);
    EXPECT_TRUE(none.items.empty());
    // The uploaded file is listed with its folder.
    Page z = co_await list(env, tok, "path=/z&recursive=true&sort=name");
    std::string z_names;
    for (const auto& n : z.names) z_names += n + " ";
    EXPECT_EQ(z_names, "f6 u.bin ");

    // Paged one at a time.
    std::vector<Folder> paged;
    std::string cursor;
    for (int pages = 0; pages < 5; ++pages) {
      std::string q = "limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor);
      FolderPage p = co_await folders(env, tok, q);
      EXPECT_EQ(p.status, 200);
      paged.insert(paged.end(), p.items.begin(), p.items.end());
      cursor = p.next_cursor;
      if (cursor.empty()) break;
    }
    EXPECT_EQ(describe(paged), describe(root.items));
    // A cursor of another folder, a garbage one, bad limits and paths.
    FolderPage first = co_await folders(env, tok, "limit=1");
    std::string other_query = "path=/a&cursor=" + first.next_cursor;
    FolderPage other = co_await folders(env, tok, other_query);
    EXPECT_EQ(other.status, 400);
    EXPECT_EQ(other.error_code, "invalid_cursor");
    EXPECT_EQ((co_await folders(env, tok, "cursor=xyz")).error_code, "invalid_cursor");
    EXPECT_EQ((co_await folders(env, tok, "limit=0")).status, 400);
    EXPECT_EQ((co_await folders(env, tok, "limit=1001")).status, 400);
    EXPECT_EQ((co_await folders(env, tok, "path=/a/..")).status, 400);
    EXPECT_EQ((co_await folders(env, tok, "depth=2")).status, 400);
    EXPECT_EQ((co_await env.request("GET", "/v1/folders", "")).status, 401);
  });
}

// ---------------------------------------------------------------- stats

struct Stats {
  int64_t count = -1, bytes = -1;
  std::map<std::string, std::pair<int64_t, int64_t>> category, folder;
  std::vector<std::pair<std::string, int64_t>> days;
};

void read_count_bytes(simdjson::dom::element e, int64_t& count, int64_t& bytes) {
  EXPECT_EQ(e["count"].get_int64().get(count), simdjson::SUCCESS);
  EXPECT_EQ(e["bytes"].get_int64().get(bytes), simdjson::SUCCESS);
}

Stats parse_stats(simdjson::dom::element doc) {
  Stats s;
  read_count_bytes(doc["total"], s.count, s.bytes);
  simdjson::dom::object cats;
  EXPECT_EQ(doc["byCategory"].get_object().get(cats), simdjson::SUCCESS);
  for (auto field : cats) read_count_bytes(field.value, s.category[std::string(field.key)].first,
                                           s.category[std::string(field.key)].second);
  simdjson::dom::array folders;
  EXPECT_EQ(doc["byFolder"].get_array().get(folders), simdjson::SUCCESS);
  for (auto f : folders) {
    std::string_view path;
    EXPECT_EQ(f["path"].get_string().get(path), simdjson::SUCCESS);
    read_count_bytes(f, s.folder[std::string(path)].first, s.folder[std::string(path)].second);
  }
  simdjson::dom::array days;
  if (doc["uploadsPerDay"].get_array().get(days) == simdjson::SUCCESS) {
    for (auto d : days) {
      std::string_view day;
      int64_t n = -1, b = -1;
      EXPECT_EQ(d["day"].get_string().get(day), simdjson::SUCCESS);
      read_count_bytes(d, n, b);
      s.days.emplace_back(std::string(day), n);
    }
  }
  return s;
}

std::vector<Placed> stats_files() {
  return {
      {"/pics", 100, "available", "image/png"},
      {"/pics/x", 200, "available", "image/jpeg"},
      {"/v", 300, "available", "video/mp4"},
      {"/", 400, "available", "audio/mpeg"},
      {"/docs", 500, "available", "application/pdf"},
      {"/docs", 600, "available", "text/plain; charset=utf-8"},
      {"/", 700, "available", "application/zip"},
      {"/misc", 800, "available", "application/octet-stream"},
      {"/docs/w", 900, "available", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"/pics", 50, "available", "IMAGE/GIF"},
      {"/pics", 1000, "trashed", "image/png"},
      {"/misc", 1000, "uploading", "application/octet-stream"},
  };
}

using CountsByKey = std::map<std::string, std::pair<int64_t, int64_t>>;

CountsByKey want_categories() {
  return {{"image", {3, 350}},     {"video", {1, 300}},   {"audio", {1, 400}},
          {"document", {3, 2000}}, {"archive", {1, 700}}, {"other", {1, 800}}};
}

CountsByKey want_folders() {
  return {{"/", {2, 1100}}, {"/docs", {3, 2000}}, {"/misc", {1, 800}}, {"/pics", {3, 350}}, {"/v", {1, 300}}};
}

TEST(FolderStatsApi, StatsByCategoryAndFolderAreExact) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("stat");
    std::string tok = token_for(user);
    std::vector<Placed> files = stats_files();
    int i = 0;
    for (const auto& f : files) {
      Spec s;
      s.path = f.path;
      s.name = "s" + std::to_string(i++);
      s.content_type = f.type;
      s.size = f.size;
      s.status = f.status;
      (void)co_await insert_file(env, user, s);
    }
    Spec theirs;
    theirs.path = "/pics";
    theirs.name = "theirs";
    theirs.content_type = "image/png";
    theirs.size = 5000;
    (void)co_await insert_file(env, env.user("neighbour"), theirs);

    RawResponse r = co_await env.request("GET", "/v1/stats", tok);
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS);
    Stats s = parse_stats(doc);
    EXPECT_EQ(s.count, 10);
    EXPECT_EQ(s.bytes, 4550);
    using CB = std::pair<int64_t, int64_t>;
    CountsByKey want_cat = want_categories();
    EXPECT_EQ(s.category, want_cat);
    CountsByKey want_folder = want_folders();
    EXPECT_EQ(s.folder, want_folder);
    EXPECT_TRUE(s.days.empty()) << "uploadsPerDay is the admin's";
    // A caller without files: zeros in every category, no folders.
    std::string empty_tok = token_for(env.user("empty"));
    RawResponse e = co_await env.request("GET", "/v1/stats", empty_tok);
    EXPECT_EQ(e.status, 200);
    simdjson::dom::element edoc;
    EXPECT_EQ(parser.parse(e.body).get(edoc), simdjson::SUCCESS);
    Stats es = parse_stats(edoc);
    EXPECT_EQ(es.count, 0);
    EXPECT_EQ(es.category.size(), 6u);
    EXPECT_EQ(es.category["other"], (CB{0, 0}));
    EXPECT_TRUE(es.folder.empty());
    EXPECT_EQ((co_await env.request("GET", "/v1/stats", "")).status, 401);

    // Admin stats: the same for everyone plus uploads per day; users and anonymous callers refused.
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", tok)).status, 403);
    EXPECT_EQ((co_await env.request("GET", "/v1/admin/stats", "")).status, 401);
    std::string admin_tok = token_for(env.user("admin"), auth::Role::admin);
    RawResponse a = co_await env.request("GET", "/v1/admin/stats", admin_tok);
    EXPECT_EQ(a.status, 200) << a.body;
    simdjson::dom::element adoc;
    EXPECT_EQ(parser.parse(a.body).get(adoc), simdjson::SUCCESS);
    Stats all = parse_stats(adoc["files"]);
    EXPECT_EQ(all.count, 11);
    EXPECT_EQ(all.bytes, 9550);
    EXPECT_EQ(all.category["image"], (CB{4, 5350}));
    EXPECT_EQ(all.folder["/pics"], (CB{4, 5350}));
    EXPECT_EQ(all.days.size(), 30u);
    std::string today = co_await env.text("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')");
    if (!all.days.empty()) {
      EXPECT_EQ(all.days.back().first, today);
      // Created today (kT0 is in the past): none of the inserted rows, unless the test runs on kT0's day.
      int64_t want_today = co_await env.scalar(
          "SELECT count(*) FROM sluice.files WHERE status IN ('available', 'trashed', 'deleted') AND "
          "created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'");
      EXPECT_EQ(all.days.back().second, want_today);
    }
    // Old totals are still there.
    EXPECT_NE(a.body.find("\"totals\":{"), std::string::npos);
  });
}

TEST(FolderStatsApi, UploadsPerDayCountsEachUtcDay) {
  with_service([](ServiceEnv& env) -> Task<void> {
    std::string user = env.user("daily");
    // Two files today, one yesterday (trashed since: still an upload), one 40 days ago (outside).
    for (int i = 0; i < 4; ++i) {
      Spec s;
      s.name = "d" + std::to_string(i);
      s.size = 10;
      std::string id = co_await insert_file(env, user, s);
      std::string when = i < 2 ? "now()" : i == 2 ? "now() - interval '1 day'" : "now() - interval '40 days'";
      auto r = co_await env.check->execute("UPDATE sluice.files SET created_at = " + when + " WHERE id = $1::uuid", id);
      EXPECT_TRUE(r.ok());
      if (i == 2) co_await set_status(env, id, "trashed");
    }
    std::string admin_tok = token_for(env.user("admin"), auth::Role::admin);
    RawResponse a = co_await env.request("GET", "/v1/admin/stats", admin_tok);
    EXPECT_EQ(a.status, 200);
    simdjson::dom::parser parser;
    simdjson::dom::element adoc;
    EXPECT_EQ(parser.parse(a.body).get(adoc), simdjson::SUCCESS);
    Stats all = parse_stats(adoc["files"]);
    EXPECT_EQ(all.days.size(), 30u);
    int64_t total = 0;
    for (const auto& d : all.days) total += d.second;
    // Right after midnight UTC "now() - 1 day" may still be yesterday; either way 3 in the window.
    EXPECT_EQ(total, 3);
    if (all.days.size() == 30) {
      EXPECT_GE(all.days[29].second, 1);
    }
  });
}

}  // namespace
}  // namespace sluice
