#include "storage/api/quota_routes.h"

#include <optional>
#include <string>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/core_stats.h"
#include "storage/api/file_list_routes.h"
#include "storage/api/json_body.h"
#include "storage/service/accounts/accounts.h"

namespace sluice {

namespace {

// Far below bigint's limit, like the 'unlimited' tier, so used + reserved + size cannot overflow.
constexpr int64_t kMaxQuotaBytes = int64_t{1} << 60;

bool valid_tier_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// The quota document of `user`; creates the account (tier `tier`, or free) on first use.
Task<void> respond_quota(HttpExchange& ex, ServiceContext& ctx, std::string user, std::string tier) {
  auto q = co_await service::account_quota(*ctx.pg, ctx.leases, std::move(user), std::move(tier));
  if (!q.ok()) co_return co_await respond_api_error(ex, api_error_from(q.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("user").string(q->user);
  w.key("tier").string(q->tier);
  w.key("quotaBytes").int64(q->quota_bytes);
  w.key("usedBytes").int64(q->used_bytes);
  w.key("reservedBytes").int64(q->reserved_bytes);
  w.key("fileCount").int64(q->file_count);
  w.key("maxFiles").int64(q->max_files);
  w.key("maxFileBytes").int64(q->max_file_bytes);
  w.key("maxConcurrentUploads").int64(q->max_concurrent_uploads);
  w.key("activeUploads").int64(q->active_uploads);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

Task<void> get_quota(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  co_await respond_quota(ex, ctx, who->user_id, who->tier);
}

using service::QuotaChange;

std::variant<QuotaChange, ApiError> parse_quota_change(const std::string& body) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  QuotaChange c;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    if (field.key == "quotaBytes") {
      c.set_quota = true;
      if (field.value.is_null()) continue;
      int64_t v = 0;
      if (field.value.get_int64().get(v) != simdjson::SUCCESS || v < 0 || v > kMaxQuotaBytes)
        return ApiError(400, "invalid_quota", "quotaBytes must be null or an integer from 0 to 2^60");
      c.quota_bytes = v;
    } else if (field.key == "tier") {
      std::string_view t;
      if (field.value.get_string().get(t) != simdjson::SUCCESS || !valid_tier_name(t))
        return ApiError(400, "invalid_tier", "tier must be a tier name ([a-z0-9_-], up to 64 characters)");
      c.tier = std::string(t);
    }
  }
  if (!c.set_quota && !c.tier) return ApiError(400, "invalid_request", "send quotaBytes and/or tier");
  return c;
}

Task<void> put_user_quota(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string user(ex.request().param("id"));
  if (!valid_user_id(user))
    co_return co_await respond_api_error(ex,
                                         ApiError(400, "invalid_user", "user ids are 1 to 128 of [A-Za-z0-9._@:-]"));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto change = parse_quota_change(std::get<std::string>(body));
  if (auto* e = std::get_if<ApiError>(&change)) co_return co_await respond_api_error(ex, std::move(*e));
  QuotaChange c = std::get<QuotaChange>(std::move(change));
  auto changed = co_await service::change_quota(*ctx.pg, user, std::move(c));
  if (!changed.ok()) co_return co_await respond_api_error(ex, api_error_from(changed.error()));
  co_await respond_quota(ex, ctx, user, std::string());
}

Task<void> get_admin_stats(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  auto t = co_await service::service_totals(*ctx.pg);
  if (!t.ok()) co_return co_await respond_api_error(ex, api_error_from(t.error()));
  auto files = co_await service::all_file_stats(*ctx.pg);
  if (!files.ok()) co_return co_await respond_api_error(ex, api_error_from(files.error()));
  std::vector<CoreStats> per_core = co_await gather_core_stats(ex.reactor(), all);
  CoreStats total = sum_core_stats(per_core);
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("totals").begin_object();
  w.key("accounts").int64(t->accounts);
  w.key("files").int64(t->files);
  w.key("storedBytes").int64(t->stored_bytes);
  w.key("uploadingFiles").int64(t->uploading_files);
  w.key("failedFiles").int64(t->failed_files);
  w.key("usedBytes").int64(t->used_bytes);
  w.key("reservedBytes").int64(t->reserved_bytes);
  w.key("activeApiKeys").int64(t->active_api_keys);
  w.end_object();
  w.key("files").begin_object();  // everyone's live files, and uploads per day
  write_file_stats_fields(w, *files);
  w.end_object();
  w.key("instance").begin_object();
  write_core_stats_fields(w, total);
  w.end_object();
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

void add_quota_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  router.add("GET", "/v1/quota", [contexts](HttpExchange& ex) { return get_quota(ex, contexts); });
  router.add(
      "PUT", "/v1/admin/users/{id}/quota", [contexts](HttpExchange& ex) { return put_user_quota(ex, contexts); },
      small);
  router.add("GET", "/v1/admin/stats", [contexts](HttpExchange& ex) { return get_admin_stats(ex, contexts); });
}

}  // namespace sluice
