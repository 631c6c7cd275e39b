#include "storage/api/audit_routes.h"

#include <charconv>
#include <optional>
#include <string>
#include <variant>

#include "http/http_exchange.h"
#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/query_pairs.h"
#include "storage/service/audit/audit_log.h"
#include "storage/service/auth/rfc3339.h"

namespace sluice {

namespace {

constexpr int kMaxLimit = 1000;

ApiError bad_parameter(std::string_view name, std::string_view what) {
  return ApiError(400, "invalid_request", std::string(name) + " must be " + std::string(what));
}

// `admin`: the user filter is allowed (a user's own trail is always theirs).
std::variant<service::AuditQuery, ApiError> parse_query(std::string_view query, bool admin) {
  auto pairs = query_pairs(query);
  if (auto* e = std::get_if<ApiError>(&pairs)) return std::move(*e);
  service::AuditQuery q;
  for (const auto& [key, value] : std::get<QueryPairs>(pairs)) {
    if (key == "user" && admin) {
      if (!valid_user_id(value)) return bad_parameter(key, "a user id");
      q.actor = value;
    } else if (key == "file") {
      q.file_id = value;
    } else if (key == "action") {
      q.action = value;
    } else if (key == "from" || key == "to") {
      auto ms = parse_rfc3339_millis(value);
      if (!ms) return bad_parameter(key, "an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z");
      (key == "from" ? q.from_micros : q.to_micros) = *ms * 1000;
    } else if (key == "limit") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1 || n > kMaxLimit)
        return bad_parameter(key, "an integer from 1 to 1000");
      q.limit = n;
    } else if (key == "cursor") {
      q.cursor = value;
    } else {
      return ApiError(400, "invalid_request",
                      "unknown parameter '" + key + "' (known: " + (admin ? "user, " : "") +
                          "file, action, from, to, limit, cursor)");
    }
  }
  return q;
}

void text_or_null(http::JsonWriter& w, std::string_view key, const std::string& v) {
  w.key(key);
  if (v.empty())
    w.null();
  else
    w.string(v);
}

std::string page_json(const service::AuditPage& page) {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("items").begin_array();
  for (const service::AuditRow& row : page.items) {
    const service::AuditEntry& e = row.entry;
    w.begin_object();
    w.key("id").string(row.id);
    w.key("at").string(row.at);
    w.key("requestId").string(e.request_id);
    text_or_null(w, "user", e.actor_user);
    text_or_null(w, "keyId", e.actor_key);
    w.key("clientAddress").string(e.client_address);
    w.key("action").string(e.action);
    w.key("method").string(e.method);
    w.key("route").string(e.route);
    text_or_null(w, "fileId", e.file_id);
    text_or_null(w, "target", e.target);
    text_or_null(w, "owner", e.owner);
    w.key("status").int64(e.status);
    w.key("outcome").string(e.outcome);
    w.end_object();
  }
  w.end_array();
  w.key("nextCursor");
  if (page.next_cursor)
    w.string(*page.next_cursor);
  else
    w.null();
  w.end_object();
  return out;
}

Task<void> list(HttpExchange& ex, ServiceContexts* all, bool admin) {
  ServiceContext& ctx = core_context(ex, all);
  std::optional<Principal> who;
  if (admin)
    who = co_await authenticate_admin(ex, ctx);
  else
    who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto parsed = parse_query(ex.request().query(), admin);
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  service::AuditQuery q = std::get<service::AuditQuery>(std::move(parsed));
  if (!admin) q.trail_of = who->user_id;
  auto page = co_await service::list_audit(*ctx.pg, std::move(q));
  if (!page.ok()) co_return co_await respond_api_error(ex, api_error_from(page.error()));
  Response r = Response::json(200, page_json(*page));
  r.header("Cache-Control", "no-store");
  (void)co_await ex.respond(std::move(r));
}

}  // namespace

void add_audit_routes(Router& router, ServiceContexts* contexts) {
  router.add("GET", "/v1/audit", [contexts](HttpExchange& ex) { return list(ex, contexts, false); });
  router.add("GET", "/v1/admin/audit", [contexts](HttpExchange& ex) { return list(ex, contexts, true); });
}

}  // namespace sluice
