#include "storage/api/file_change_routes.h"

#include <charconv>
#include <ctime>

#include "http/http_exchange.h"
#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/file_patch_request.h"
#include "storage/api/json_body.h"
#include "storage/service/files/file_changes.h"
#include "storage/service/files/trash.h"

namespace sluice {

namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
// 1,000 quoted uuids and their commas take 39,000 bytes; room for whitespace.
constexpr size_t kMaxBulkBodyBytes = 128 * 1024;

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// ?onConflict=fail|replace|rename, or nullopt after answering 400.
Task<std::optional<service::OnConflict>> on_conflict_param(HttpExchange& ex) {
  auto c = service::parse_on_conflict(ex.request().query_param("onConflict").value_or(""));
  if (!c.ok()) {
    co_await respond_api_error(ex, api_error_from(c.error()));
    co_return std::nullopt;
  }
  co_return *c;
}

Task<void> respond_file(HttpExchange& ex, const FileRecord& f) {
  (void)co_await ex.respond(Response::json(200, f.to_json()));
}

Task<void> respond_no_content(HttpExchange& ex) {
  Response resp;
  resp.status = 204;
  (void)co_await ex.respond(std::move(resp));
}

Task<void> patch_file(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  auto on_conflict = co_await on_conflict_param(ex);
  if (!on_conflict) co_return;
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_file_patch(std::get<std::string>(body), now_ms());
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  service::FilePatch patch = std::get<service::FilePatch>(std::move(parsed));
  std::string id(ex.request().param("id"));
  auto f = co_await service::patch_file(*ctx.pg, *ctx.store, *who, std::move(id), std::move(patch), *on_conflict);
  if (!f.ok()) co_return co_await respond_api_error(ex, api_error_from(f.error()));
  co_await respond_file(ex, *f);
}

Task<void> delete_file(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_delete);
  if (!who) co_return;
  std::string permanent = ex.request().query_param("permanent").value_or("false");
  if (permanent != "true" && permanent != "false")
    co_return co_await respond_api_error(ex, ApiError(400, "invalid_request", "permanent must be true or false"));
  std::string id(ex.request().param("id"));
  bool purge = permanent == "true";
  Status s = co_await service::delete_file(*ctx.pg, *ctx.store, *who, std::move(id), purge);
  if (!s.ok()) co_return co_await respond_api_error(ex, api_error_from(s.error()));
  co_await respond_no_content(ex);
}

Task<void> restore_file(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  auto on_conflict = co_await on_conflict_param(ex);
  if (!on_conflict) co_return;
  std::string id(ex.request().param("id"));
  auto f = co_await service::restore_file(*ctx.pg, *ctx.store, *who, std::move(id), *on_conflict);
  if (!f.ok()) co_return co_await respond_api_error(ex, api_error_from(f.error()));
  co_await respond_file(ex, *f);
}

// ?limit= within 1..1000 (default 100), or nullopt when malformed.
std::optional<int> limit_param(const Request& req) {
  auto text = req.query_param("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxLimit) return std::nullopt;
  return n;
}

Task<void> list_trash(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  std::optional<int> limit = limit_param(ex.request());
  if (!limit)
    co_return co_await respond_api_error(ex, ApiError(400, "invalid_request", "limit must be an integer within 1..1000"));
  std::optional<std::string> cursor = ex.request().query_param("cursor");
  auto page = co_await service::list_trash(*ctx.pg, *who, std::move(cursor), *limit);
  if (!page.ok()) co_return co_await respond_api_error(ex, api_error_from(page.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (const FileRecord& f : page->items) w.raw(f.to_json());
  w.end_array();
  w.key("nextCursor");
  if (page->next_cursor)
    w.string(*page->next_cursor);
  else
    w.null();
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

Task<void> empty_trash(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_delete);
  if (!who) co_return;
  auto purged = co_await service::empty_trash(*ctx.pg, *ctx.store, *who);
  if (!purged.ok()) co_return co_await respond_api_error(ex, api_error_from(purged.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object().key("purged").uint64(*purged).end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

struct BulkDeleteRequest {
  std::vector<std::string> ids;
  bool permanent = false;
};

std::variant<BulkDeleteRequest, ApiError> parse_bulk_delete(const std::string& body) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  BulkDeleteRequest out;
  bool has_ids = false;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    if (field.key == "ids") {
      simdjson::dom::array list;
      if (field.value.get_array().get(list) != simdjson::SUCCESS)
        return ApiError(400, "invalid_request", "ids must be an array of file ids");
      if (list.size() > service::kMaxBulkDeleteIds)
        return ApiError(400, "invalid_request",
                        "at most " + std::to_string(service::kMaxBulkDeleteIds) + " ids per request");
      for (simdjson::dom::element item : list) {
        std::string_view id;
        if (item.get_string().get(id) != simdjson::SUCCESS)
          return ApiError(400, "invalid_request", "ids must be an array of strings");
        out.ids.emplace_back(id.substr(0, 64));  // no id is longer; a long one is invalid_id all the same
      }
      has_ids = true;
    } else if (field.key == "permanent") {
      if (field.value.get_bool().get(out.permanent) != simdjson::SUCCESS)
        return ApiError(400, "invalid_request", "permanent must be true or false");
    } else {
      return ApiError(400, "invalid_request", "a bulk delete takes ids and permanent only");
    }
  }
  if (!has_ids) return ApiError(400, "invalid_request", "ids is required");
  return out;
}

Task<void> delete_many(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_delete);
  if (!who) co_return;
  auto body = co_await read_json_body(ex, kMaxBulkBodyBytes);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_bulk_delete(std::get<std::string>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  BulkDeleteRequest req = std::get<BulkDeleteRequest>(std::move(parsed));
  std::vector<std::string> ids = req.ids;
  auto outcomes = co_await service::delete_files(*ctx.pg, *ctx.store, *who, std::move(ids), req.permanent);
  if (!outcomes.ok()) co_return co_await respond_api_error(ex, api_error_from(outcomes.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object().key("results").begin_array();
  for (size_t i = 0; i < req.ids.size(); ++i) {
    w.begin_object();
    w.key("id").string(req.ids[i]);
    w.key("status").string(service::bulk_outcome_name((*outcomes)[i]));
    w.end_object();
  }
  w.end_array().end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

void add_file_change_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  RouteOptions bulk;
  bulk.max_body_bytes = kMaxBulkBodyBytes;
  router.add(
      "PATCH", "/v1/files/{id}", [contexts](HttpExchange& ex) { return patch_file(ex, contexts); }, small);
  router.add("DELETE", "/v1/files/{id}", [contexts](HttpExchange& ex) { return delete_file(ex, contexts); });
  router.add("POST", "/v1/files/{id}/restore", [contexts](HttpExchange& ex) { return restore_file(ex, contexts); });
  router.add("GET", "/v1/trash", [contexts](HttpExchange& ex) { return list_trash(ex, contexts); });
  router.add("DELETE", "/v1/trash", [contexts](HttpExchange& ex) { return empty_trash(ex, contexts); });
  router.add(
      "POST", "/v1/files/delete", [contexts](HttpExchange& ex) { return delete_many(ex, contexts); }, bulk);
}

}  // namespace sluice
