// Rows of sluice.files for the browsing tests (GET /v1/files, /v1/folders, /v1/stats): files
// inserted directly (tags, favorites, visibility and times are not settable by upload here), and
// GET /v1/files pages read back. Listing never touches the store.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tests/storage/service_harness.h"

namespace sluice::testing {

// 2026-03-01T00:00:00Z in microseconds since the epoch.
inline constexpr int64_t kT0 = 1772323200LL * 1000000;

struct Spec {
  std::string path = "/";
  std::string name;
  int64_t size = 1;
  std::string content_type = "application/octet-stream";
  std::vector<std::string> tags;
  bool favorite = false;
  std::string visibility = "private";
  std::string status = "available";
  int64_t created_us = kT0;  // microseconds since the epoch
  int64_t updated_us = kT0;
};

// Inserts `s` for `owner` (creating the account) and returns the new file's id.
inline Task<std::string> insert_file(ServiceEnv& env, std::string owner, Spec s) {
  auto acct = co_await env.check->execute("INSERT INTO sluice.accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
                                          owner);
  EXPECT_TRUE(acct.ok());
  std::string trashed = s.status == "trashed" ? "now()" : "NULL";
  std::string sql =
      "INSERT INTO sluice.files (owner, object_key, path, name, size, content_type, status, visibility, tags, "
      "favorite, created_at, updated_at, trashed_at) VALUES ($1, 'test/' || gen_random_uuid(), $2, $3, $4::bigint, "
      "$5, $6, $7, $8::text[], $9::boolean, 'epoch'::timestamptz + $10::bigint * interval '1 microsecond', "
      "'epoch'::timestamptz + $11::bigint * interval '1 microsecond', " +
      trashed + ") RETURNING id::text";
  auto r = co_await env.check->execute(std::move(sql), owner, s.path, s.name, s.size, s.content_type, s.status,
                                       s.visibility, s.tags, s.favorite, s.created_us, s.updated_us);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  co_return r.ok() && r->rows() == 1 ? std::string(r->text(0, 0)) : std::string();
}

inline Task<void> set_status(ServiceEnv& env, std::string id, std::string status) {
  auto r = co_await env.check->execute(
      "UPDATE sluice.files SET status = $2, trashed_at = CASE WHEN $2 = 'trashed' THEN now() END WHERE id = $1::uuid",
      id, status);
  EXPECT_TRUE(r.ok());
}

struct Page {
  int status = 0;
  std::vector<std::string> ids, names;
  std::string next_cursor;  // "" when null
  std::string error_code;
};

inline Page parse_page(const RawResponse& resp) {
  Page p;
  p.status = resp.status;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(resp.body).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not JSON: " << resp.body;
    return p;
  }
  if (resp.status != 200) {
    std::string_view code;
    if (doc["error"]["code"].get_string().get(code) == simdjson::SUCCESS) p.error_code = std::string(code);
    return p;
  }
  simdjson::dom::array items;
  EXPECT_EQ(doc["items"].get_array().get(items), simdjson::SUCCESS) << resp.body;
  for (auto item : items) {
    std::string_view id, name;
    EXPECT_EQ(item["id"].get_string().get(id), simdjson::SUCCESS);
    EXPECT_EQ(item["name"].get_string().get(name), simdjson::SUCCESS);
    p.ids.emplace_back(id);
    p.names.emplace_back(name);
  }
  std::string_view cursor;
  auto next = doc["nextCursor"];
  EXPECT_EQ(next.error(), simdjson::SUCCESS) << "nextCursor is always present: " << resp.body;
  if (next.get_string().get(cursor) == simdjson::SUCCESS) p.next_cursor = std::string(cursor);
  return p;
}

inline Task<Page> list(ServiceEnv& env, std::string token, std::string query) {
  std::string target = "/v1/files" + (query.empty() ? std::string() : "?" + query);
  RawResponse r = co_await env.request("GET", std::move(target), std::move(token));
  co_return parse_page(r);
}

inline std::set<std::string> as_set(const std::vector<std::string>& v) { return std::set<std::string>(v.begin(), v.end()); }

}  // namespace sluice::testing
