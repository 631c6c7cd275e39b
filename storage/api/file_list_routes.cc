#include "storage/api/file_list_routes.h"

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "http/http_exchange.h"
#include "storage/api/caller_auth.h"
#include "storage/api/query_pairs.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/service/files/file_listing.h"
#include "storage/service/files/folder_listing.h"

namespace sluice {

namespace {

ApiError bad_parameter(std::string_view name, std::string_view what) {
  return ApiError(400, "invalid_request", std::string(name) + " must be " + std::string(what));
}

std::optional<int64_t> parse_int64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::optional<int> parse_limit(std::string_view s) {
  auto v = parse_int64(s);
  if (!v || *v < 1 || *v > service::kMaxListLimit) return std::nullopt;
  return static_cast<int>(*v);
}

constexpr std::string_view kLimitRule = "an integer from 1 to 1000";

std::variant<service::FileListing, ApiError> parse_listing(const QueryPairs& query) {
  service::FileListing l;
  service::FileFilter& f = l.filter;
  std::optional<std::string> sort;
  for (const auto& [key, value] : query) {
    if (key == "path") {
      f.path = value;
    } else if (key == "recursive") {
      auto b = parse_bool(value);
      if (!b) return bad_parameter(key, "true or false");
      f.recursive = *b;
    } else if (key == "q") {
      f.name_contains = value;
    } else if (key == "contentType") {
      f.content_type = value;
    } else if (key == "tag") {
      f.tags.push_back(value);
    } else if (key == "favorite") {
      auto b = parse_bool(value);
      if (!b) return bad_parameter(key, "true or false");
      f.favorite = *b;
    } else if (key == "visibility") {
      f.visibility = value;
    } else if (key == "minSize" || key == "maxSize") {
      auto v = parse_int64(value);
      if (!v || *v < 0) return bad_parameter(key, "a non-negative integer (bytes)");
      (key == "minSize" ? f.min_size : f.max_size) = *v;
    } else if (key == "createdAfter" || key == "createdBefore") {
      auto ms = parse_rfc3339_millis(value);
      if (!ms) return bad_parameter(key, "an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z");
      (key == "createdAfter" ? f.created_after_ms : f.created_before_ms) = *ms;
    } else if (key == "sort") {
      sort = value;
    } else if (key == "limit") {
      auto n = parse_limit(value);
      if (!n) return bad_parameter(key, kLimitRule);
      l.limit = *n;
    } else if (key == "cursor") {
      l.cursor = value;
    } else {
      return ApiError(400, "invalid_request",
                      "unknown parameter '" + key +
                          "' (known: path, recursive, q, contentType, tag, favorite, visibility, minSize, maxSize, "
                          "createdAfter, createdBefore, sort, limit, cursor)");
    }
  }
  if (sort) {
    auto s = parse_file_sort(*sort);
    if (!s.ok()) return api_error_from(s.error());
    l.sort = *s;
  }
  if (f.min_size && f.max_size && *f.min_size > *f.max_size)
    return ApiError(400, "invalid_request", "minSize must not exceed maxSize");
  if (f.created_after_ms && f.created_before_ms && *f.created_after_ms > *f.created_before_ms)
    return ApiError(400, "invalid_request", "createdAfter must not be later than createdBefore");
  return l;
}

void write_next_cursor(http::JsonWriter& w, const std::optional<std::string>& cursor) {
  w.key("nextCursor");
  if (cursor)
    w.string(*cursor);
  else
    w.null();
}

Task<void> get_files(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto pairs = query_pairs(ex.request().query());
  if (auto* e = std::get_if<ApiError>(&pairs)) co_return co_await respond_api_error(ex, std::move(*e));
  auto listing = parse_listing(std::get<QueryPairs>(pairs));
  if (auto* e = std::get_if<ApiError>(&listing)) co_return co_await respond_api_error(ex, std::move(*e));
  service::FileListing l = std::get<service::FileListing>(std::move(listing));
  auto page = co_await service::list_files(*ctx.pg, *who, std::move(l));
  if (!page.ok()) co_return co_await respond_api_error(ex, api_error_from(page.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (const auto& f : page->items) w.raw(f.to_json());
  w.end_array();
  write_next_cursor(w, page->next_cursor);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

struct FolderQuery {
  std::string path = "/";
  int limit = service::kDefaultListLimit;
  std::optional<std::string> cursor;
};

std::variant<FolderQuery, ApiError> parse_folder_query(const QueryPairs& query) {
  FolderQuery q;
  for (const auto& [key, value] : query) {
    if (key == "path") {
      q.path = value;
    } else if (key == "limit") {
      auto n = parse_limit(value);
      if (!n) return bad_parameter(key, kLimitRule);
      q.limit = *n;
    } else if (key == "cursor") {
      q.cursor = value;
    } else {
      return ApiError(400, "invalid_request", "unknown parameter '" + key + "' (known: path, limit, cursor)");
    }
  }
  return q;
}

Task<void> get_folders(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto pairs = query_pairs(ex.request().query());
  if (auto* e = std::get_if<ApiError>(&pairs)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_folder_query(std::get<QueryPairs>(pairs));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  FolderQuery q = std::get<FolderQuery>(std::move(parsed));
  auto page = co_await service::list_folders(*ctx.pg, *who, std::move(q.path), q.limit, std::move(q.cursor));
  if (!page.ok()) co_return co_await respond_api_error(ex, api_error_from(page.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (const auto& s : page->items) {
    w.begin_object();
    w.key("path").string(s.path);
    w.key("name").string(s.name);
    w.key("fileCount").int64(s.file_count);
    w.key("bytes").int64(s.bytes);
    w.end_object();
  }
  w.end_array();
  write_next_cursor(w, page->next_cursor);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

void write_count_bytes(http::JsonWriter& w, const service::CountBytes& c) {
  w.key("count").int64(c.count);
  w.key("bytes").int64(c.bytes);
}

Task<void> get_stats(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto s = co_await service::user_file_stats(*ctx.pg, who->user_id);
  if (!s.ok()) co_return co_await respond_api_error(ex, api_error_from(s.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  write_file_stats_fields(w, *s);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

void write_file_stats_fields(http::JsonWriter& w, const service::FileStats& s) {
  w.key("total").begin_object();
  write_count_bytes(w, s.total);
  w.end_object();
  w.key("byCategory").begin_object();
  for (const auto& c : s.by_category) {
    w.key(c.key).begin_object();
    write_count_bytes(w, c);
    w.end_object();
  }
  w.end_object();
  w.key("byFolder").begin_array();
  for (const auto& f : s.by_folder) {
    w.begin_object();
    w.key("path").string(f.key);
    write_count_bytes(w, f);
    w.end_object();
  }
  w.end_array();
  if (s.uploads_per_day.empty()) return;
  w.key("uploadsPerDay").begin_array();
  for (const auto& d : s.uploads_per_day) {
    w.begin_object();
    w.key("day").string(d.key);
    write_count_bytes(w, d);
    w.end_object();
  }
  w.end_array();
}

void add_file_list_routes(Router& router, ServiceContexts* contexts) {
  router.add("GET", "/v1/files", [contexts](HttpExchange& ex) { return get_files(ex, contexts); });
  router.add("GET", "/v1/folders", [contexts](HttpExchange& ex) { return get_folders(ex, contexts); });
  router.add("GET", "/v1/stats", [contexts](HttpExchange& ex) { return get_stats(ex, contexts); });
}

}  // namespace sluice
