#include "storage/api/audit_trail.h"

#include <algorithm>
#include <array>
#include <memory>

#include "core/log.h"
#include "storage/api/caller_auth.h"
#include "storage/api/rate_limit_gate.h"
#include "storage/service/audit/audit_log.h"
#include "storage/store/local/url_signer.h"

namespace sluice {

namespace {

struct RouteAction {
  std::string_view method, pattern, action;
};

// Every audited route but the signed-URL object routes (one per key depth, matched by prefix).
constexpr std::array<RouteAction, 35> kAuditedRoutes{{
    {"PUT", "/v1/files/content", "file.upload"},
    {"POST", "/v1/files", "file.upload_form"},
    {"PATCH", "/v1/files/{id}", "file.update"},
    {"DELETE", "/v1/files/{id}", "file.delete"},
    {"POST", "/v1/files/{id}/restore", "file.restore"},
    {"POST", "/v1/files/delete", "file.bulk_delete"},
    {"DELETE", "/v1/trash", "trash.empty"},
    {"GET", "/v1/files/{id}/url", "file.signed_url"},
    {"POST", "/v1/uploads", "upload.create"},
    {"PUT", "/v1/uploads/{id}/parts/{n}", "upload.part"},
    {"POST", "/v1/uploads/{id}/parts/{n}/url", "upload.part_url"},
    {"POST", "/v1/uploads/{id}/complete", "upload.complete"},
    {"POST", "/v1/uploads/{id}/heartbeat", "upload.heartbeat"},
    {"DELETE", "/v1/uploads/{id}", "upload.abort"},
    {"POST", "/v1/tus", "tus.create"},
    {"PATCH", "/v1/tus/{id}", "tus.append"},
    {"POST", "/v1/tus/{id}", "tus.append"},  // X-HTTP-Method-Override: PATCH
    {"DELETE", "/v1/tus/{id}", "tus.terminate"},
    {"POST", "/v1/files/{id}/shares", "share.create"},
    {"PATCH", "/v1/shares/{id}", "share.update"},
    {"DELETE", "/v1/shares/{id}", "share.delete"},
    {"GET", "/public/v1/shares/{token}", "share.view"},
    {"GET", "/public/v1/shares/{token}/content", "share.content"},
    {"GET", "/public/v1/shares/{token}/thumbnail", "share.thumbnail"},
    {"POST", "/public/v1/shares/{token}/unlock", "share.unlock"},
    {"GET", "/public/v1/files/{id}", "public.view"},
    {"GET", "/public/v1/files/{id}/content", "public.content"},
    {"GET", "/public/v1/files/{id}/thumbnail", "public.thumbnail"},
    {"POST", "/v1/keys", "key.create"},
    {"DELETE", "/v1/keys/{id}", "key.delete"},
    {"PUT", "/v1/admin/users/{id}/quota", "admin.quota"},
    {"PUT", "/v1/admin/users/{id}/rate-limit", "admin.rate_limit"},
    {"PUT", "/v1/admin/keys/{id}/rate-limit", "admin.key_rate_limit"},
    {"PUT", "/v1/admin/tiers/{name}", "admin.tier"},
    {"DELETE", "/v1/admin/concurrency/users/{id}", "admin.concurrency_reset"},
}};

bool changes_state(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool names_a_file(std::string_view pattern) {
  return pattern.starts_with("/v1/files/{id}") || pattern.starts_with("/public/v1/files/{id}");
}

// A signed-URL object route: the key (u/{owner}/{yyyy}/{mm}/{dd}/{file id}, object_key_for)
// names the owner and the file.
void note_local_object(HttpExchange& ex, service::AuditEntry& e) {
  std::string_view key = ex.request().path();
  key.remove_prefix(std::min(key.size(), local::kLocalObjectsRoute.size()));
  e.target = std::string(key);
  if (!key.starts_with("u/")) return;
  key.remove_prefix(2);
  size_t slash = key.find('/');
  size_t last = key.rfind('/');
  if (slash == std::string_view::npos || last == slash) return;
  e.owner = std::string(key.substr(0, slash));
  e.file_id = std::string(key.substr(last + 1));
}

struct AuditedRoute {
  Handler handler;
  std::string action, pattern;
  ServiceContexts* contexts;
};

Task<void> record(HttpExchange& ex, std::shared_ptr<const AuditedRoute> route, int status) {
  ServiceContext& ctx = core_context(ex, route->contexts);
  if (!ctx.pg || status == 429) co_return;
  std::string_view pattern = route->pattern;
  const Request& req = ex.request();
  service::AuditEntry e;
  e.request_id = req.request_id;
  e.actor_user = std::string(req.note("user"));
  e.actor_key = std::string(req.note("key"));
  e.client_address = client_address_of(ex, ctx);
  e.action = route->action;
  e.method = req.method;
  e.route = std::string(pattern);
  if (pattern.starts_with(local::kLocalObjectsRoute)) note_local_object(ex, e);
  std::string_view named = req.param("id");
  if (named.empty()) named = req.param("name");
  if (names_a_file(pattern))
    e.file_id = std::string(named);
  else if (!named.empty())
    e.target = std::string(named);
  if (auto f = req.note("file"); !f.empty()) e.file_id = std::string(f);
  if (auto o = req.note("owner"); !o.empty()) e.owner = std::string(o);
  if (auto t = req.note("target"); !t.empty()) e.target = std::string(t);
  e.status = status;
  e.outcome = service::AuditEntry::outcome_of(status);
  auto st = co_await service::record_audit(*ctx.pg, e);
  if (!st.ok())
    log_event(LogLevel::warn, "audit_write_failed",
              {{"request_id", e.request_id}, {"action", e.action}, {"error", st.error().message}});
}

// The row is written before the response goes out: a client that has its answer finds the row.
Task<void> run_audited(HttpExchange& ex, std::shared_ptr<const AuditedRoute> route) {
  HttpExchange* at = &ex;
  ex.before_response([at, route](int status) { return record(*at, route, status); });
  co_await route->handler(ex);
}

}  // namespace

std::string audit_action(std::string_view method, std::string_view pattern) {
  for (const RouteAction& r : kAuditedRoutes)
    if (r.method == method && r.pattern == pattern) return std::string(r.action);
  if (pattern.starts_with(local::kLocalObjectsRoute)) return method == "GET" ? "signed.content" : "signed.put";
  // A state-changing route this table does not know yet is still recorded, under its route.
  if (changes_state(method)) return std::string(method) + " " + std::string(pattern);
  return "";
}

Handler audited(const std::string& method, const std::string& pattern, Handler handler, ServiceContexts* contexts) {
  std::string action = audit_action(method, pattern);
  if (action.empty()) return handler;
  auto route = std::make_shared<const AuditedRoute>(AuditedRoute{std::move(handler), std::move(action), pattern, contexts});
  return [route](HttpExchange& ex) { return run_audited(ex, route); };
}

}  // namespace sluice
