#include "storage/api/quota_routes.h"

#include <optional>
#include <string>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/core_stats.h"
#include "storage/api/json_body.h"
#include "storage/upload/upload_queries.h"

namespace sluice {

namespace {

// Far below bigint's limit, like the 'unlimited' tier, so used + reserved + size cannot overflow.
constexpr int64_t kMaxQuotaBytes = int64_t{1} << 60;

// $1 user. One row when the account exists.
constexpr PgStatement kAccountQuota{
    "sluice_quota_of",
    "SELECT a.tier, COALESCE(a.quota_bytes_override, t.quota_bytes), a.used_bytes, a.reserved_bytes, a.file_count,"
    "       t.max_files, t.max_file_bytes, t.max_concurrent_uploads, a.reserved_files "
    "FROM sluice.accounts a JOIN sluice.tiers t ON t.name = a.tier WHERE a.user_id = $1",
    1};

constexpr PgStatement kTierExists{"sluice_quota_tier_exists", "SELECT 1 FROM sluice.tiers WHERE name = $1", 1};

// $1 user, $2 tier (NULL: keep, or 'free' for a new account), $3 whether to set the override,
// $4 the override (NULL: back to the tier's quota).
constexpr PgStatement kSetQuota{
    "sluice_quota_set",
    "INSERT INTO sluice.accounts (user_id, tier, quota_bytes_override) "
    "VALUES ($1, COALESCE($2, 'free'), CASE WHEN $3::bool THEN $4::bigint END) "
    "ON CONFLICT (user_id) DO UPDATE SET tier = COALESCE($2, sluice.accounts.tier),"
    "  quota_bytes_override = CASE WHEN $3::bool THEN $4::bigint ELSE sluice.accounts.quota_bytes_override END,"
    "  updated_at = now() "
    "RETURNING user_id",
    4};

constexpr PgStatement kTotals{
    "sluice_admin_totals",
    "SELECT (SELECT count(*) FROM sluice.accounts),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'available'),"
    "       (SELECT COALESCE(sum(size), 0)::bigint FROM sluice.files WHERE status = 'available'),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'uploading'),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'failed'),"
    "       (SELECT COALESCE(sum(used_bytes), 0)::bigint FROM sluice.accounts),"
    "       (SELECT COALESCE(sum(reserved_bytes), 0)::bigint FROM sluice.accounts),"
    "       (SELECT count(*) FROM sluice.api_keys WHERE revoked_at IS NULL)",
    0};

bool valid_tier_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// The quota document of `user`; creates the account (tier `tier`, or free) on first use.
Task<std::variant<std::string, ApiError>> quota_json(ServiceContext& ctx, std::string user, std::string tier) {
  auto r = co_await ctx.pg->query(kAccountQuota, user);
  if (r.ok() && r->rows() == 0) {
    auto e = co_await ctx.pg->query(upload_sql::kEnsureAccount, user, tier);
    if (!e.ok()) co_return api_error_from(e.error());
    r = co_await ctx.pg->query(kAccountQuota, user);
  }
  if (!r.ok()) co_return api_error_from(r.error());
  if (r->rows() == 0) co_return ApiError(500, "internal", "account vanished while being read");
  // In-flight uploads: the lease count is what the per-user limit checks; without it, the
  // account's reserved file slots (uploads admitted and not yet settled) say the same.
  int64_t active = *r->int64(0, 8);
  if (ctx.leases) {
    auto n = co_await ctx.leases->count(user);
    if (n.ok()) active = *n;
  }
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("user").string(user);
  w.key("tier").string(r->text(0, 0));
  w.key("quotaBytes").int64(*r->int64(0, 1));
  w.key("usedBytes").int64(*r->int64(0, 2));
  w.key("reservedBytes").int64(*r->int64(0, 3));
  w.key("fileCount").int64(*r->int64(0, 4));
  w.key("maxFiles").int64(*r->int64(0, 5));
  w.key("maxFileBytes").int64(*r->int64(0, 6));
  w.key("maxConcurrentUploads").int64(*r->int64(0, 7));
  w.key("activeUploads").int64(active);
  w.end_object();
  co_return out;
}

Task<void> respond_quota(HttpExchange& ex, ServiceContext& ctx, std::string user, std::string tier) {
  auto doc = co_await quota_json(ctx, std::move(user), std::move(tier));
  if (auto* e = std::get_if<ApiError>(&doc)) co_return co_await respond_api_error(ex, std::move(*e));
  (void)co_await ex.respond(Response::json(200, std::get<std::string>(std::move(doc))));
}

Task<void> get_quota(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  co_await respond_quota(ex, ctx, who->user_id, who->tier);
}

struct QuotaChange {
  std::optional<std::string> tier;
  bool set_quota = false;
  std::optional<int64_t> quota_bytes;  // nullopt with set_quota: back to the tier's quota
};

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
  QuotaChange& c = std::get<QuotaChange>(change);
  if (c.tier) {
    auto t = co_await ctx.pg->query(kTierExists, *c.tier);
    if (!t.ok()) co_return co_await respond_api_error(ex, api_error_from(t.error()));
    if (t->rows() == 0)
      co_return co_await respond_api_error(ex, ApiError(400, "invalid_tier", "no tier named '" + *c.tier + "'"));
  }
  auto r = co_await ctx.pg->query(kSetQuota, user, c.tier, c.set_quota, c.quota_bytes);
  if (!r.ok()) co_return co_await respond_api_error(ex, api_error_from(r.error()));
  co_await respond_quota(ex, ctx, user, std::string());
}

Task<void> get_admin_stats(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  auto r = co_await ctx.pg->query(kTotals);
  if (!r.ok()) co_return co_await respond_api_error(ex, api_error_from(r.error()));
  std::vector<CoreStats> per_core = co_await gather_core_stats(ex.reactor(), all);
  CoreStats total = sum_core_stats(per_core);
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("totals").begin_object();
  w.key("accounts").int64(*r->int64(0, 0));
  w.key("files").int64(*r->int64(0, 1));
  w.key("storedBytes").int64(*r->int64(0, 2));
  w.key("uploadingFiles").int64(*r->int64(0, 3));
  w.key("failedFiles").int64(*r->int64(0, 4));
  w.key("usedBytes").int64(*r->int64(0, 5));
  w.key("reservedBytes").int64(*r->int64(0, 6));
  w.key("activeApiKeys").int64(*r->int64(0, 7));
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
