#include "storage/api/tier_routes.h"

#include <optional>
#include <string>
#include <variant>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/api/json_body.h"
#include "storage/service/accounts/tiers.h"

namespace sluice {

namespace {

using service::Tier;

constexpr int64_t kMaxBytes = int64_t{1} << 60;  // as quotas: used + reserved + size cannot overflow
constexpr int64_t kMaxPerMinute = 1'000'000'000;
constexpr int64_t kMaxBurst = 100'000'000;
constexpr size_t kMaxMimeTypes = 256;

bool valid_tier_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// "type/subtype" or "type/*", lower-case token characters.
bool valid_mime_pattern(std::string_view s) {
  size_t slash = s.find('/');
  if (s.empty() || s.size() > 255 || slash == 0 || slash == std::string_view::npos || slash + 1 == s.size())
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == slash) continue;
    bool token = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == '_';
    if (!token && !(c == '*' && i == s.size() - 1 && i == slash + 1)) return false;
  }
  return true;
}

void write_tier(http::JsonWriter& w, const Tier& t) {
  w.begin_object();
  w.key("name").string(t.name);
  w.key("quotaBytes").int64(t.quota_bytes);
  w.key("maxFileBytes").int64(t.max_file_bytes);
  w.key("maxFiles").int64(t.max_files);
  w.key("maxConcurrentUploads").int64(t.max_concurrent_uploads);
  if (t.allowed_mime_types) {
    w.key("allowedMimeTypes").begin_array();
    for (const auto& m : *t.allowed_mime_types) w.string(m);
    w.end_array();
  } else {
    w.key("allowedMimeTypes").null();
  }
  w.key("requestsPerMinute").int64(t.requests_per_minute);
  w.key("burst").int64(t.burst);
  w.end_object();
}

std::string tier_json(const Tier& t) {
  std::string out;
  http::JsonWriter w(out);
  write_tier(w, t);
  return out;
}

ApiError invalid(std::string field, std::string why) { return ApiError(400, "invalid_request", field + " " + why); }

// An integer field of `o` within [min, max].
std::variant<int64_t, ApiError> int_field(simdjson::dom::object o, const char* name, int64_t min, int64_t max) {
  simdjson::dom::element v;
  if (o.at_key(name).get(v) != simdjson::SUCCESS) return invalid(name, "is required");
  int64_t n = 0;
  if (v.get_int64().get(n) != simdjson::SUCCESS || n < min || n > max)
    return invalid(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  return n;
}

std::variant<Tier, ApiError> parse_tier(const std::string& name, const std::string& body) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  auto o = std::get<simdjson::dom::object>(parsed);
  Tier t;
  t.name = name;
  struct IntField {
    const char* name;
    int64_t* into;
    int64_t min;
    int64_t max;
  };
  const IntField fields[] = {{"quotaBytes", &t.quota_bytes, 0, kMaxBytes},
                             {"maxFileBytes", &t.max_file_bytes, 1, kMaxBytes},
                             {"maxFiles", &t.max_files, 0, kMaxBytes},
                             {"maxConcurrentUploads", &t.max_concurrent_uploads, 1, 1'000'000},
                             {"requestsPerMinute", &t.requests_per_minute, 1, kMaxPerMinute},
                             {"burst", &t.burst, 1, kMaxBurst}};
  for (const IntField& f : fields) {
    auto v = int_field(o, f.name, f.min, f.max);
    if (auto* e = std::get_if<ApiError>(&v)) return std::move(*e);
    *f.into = std::get<int64_t>(v);
  }
  simdjson::dom::element types;
  if (o.at_key("allowedMimeTypes").get(types) == simdjson::SUCCESS && !types.is_null()) {
    simdjson::dom::array a;
    if (types.get_array().get(a) != simdjson::SUCCESS)
      return invalid("allowedMimeTypes", "must be null (any type) or an array of types like image/png or image/*");
    std::vector<std::string> list;
    for (auto item : a) {
      std::string_view s;
      if (item.get_string().get(s) != simdjson::SUCCESS || !valid_mime_pattern(s))
        return invalid("allowedMimeTypes", "must be null (any type) or an array of types like image/png or image/*");
      list.emplace_back(s);
    }
    if (list.size() > kMaxMimeTypes) return invalid("allowedMimeTypes", "may list at most 256 types");
    t.allowed_mime_types = std::move(list);
  }
  for (auto field : o) {
    std::string_view k = field.key;
    if (k != "quotaBytes" && k != "maxFileBytes" && k != "maxFiles" && k != "maxConcurrentUploads" &&
        k != "requestsPerMinute" && k != "burst" && k != "allowedMimeTypes" && k != "name")
      return invalid(std::string(k), "is not a tier field");
  }
  return t;
}

Task<void> list(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  auto tiers = co_await service::list_tiers(*ctx.pg);
  if (!tiers.ok()) co_return co_await respond_api_error(ex, api_error_from(tiers.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("tiers").begin_array();
  for (const Tier& t : *tiers) write_tier(w, t);
  w.end_array();
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

Task<void> get_one(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string name(ex.request().param("name"));
  auto t = co_await service::tier_named(*ctx.pg, name);
  if (!t.ok()) co_return co_await respond_api_error(ex, api_error_from(t.error()));
  (void)co_await ex.respond(Response::json(200, tier_json(*t)));
}

Task<void> put_one(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string name(ex.request().param("name"));
  if (!valid_tier_name(name))
    co_return co_await respond_api_error(ex, ApiError(400, "invalid_tier", "tier names are 1 to 64 of [a-z0-9_-]"));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_tier(name, std::get<std::string>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  Tier wanted = std::get<Tier>(std::move(parsed));
  auto stored = co_await service::put_tier(*ctx.pg, std::move(wanted));
  if (!stored.ok()) co_return co_await respond_api_error(ex, api_error_from(stored.error()));
  (void)co_await ex.respond(Response::json(200, tier_json(*stored)));
}

struct RateOverride {
  std::optional<int64_t> per_minute;
  std::optional<int64_t> burst;
};

std::variant<RateOverride, ApiError> parse_override(const std::string& body) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  RateOverride r;
  bool any = false;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    std::string_view k = field.key;
    bool rate = k == "requestsPerMinute";
    if (!rate && k != "burst") return invalid(std::string(k), "is not a rate-limit field");
    any = true;
    if (field.value.is_null()) continue;
    int64_t n = 0;
    int64_t max = rate ? kMaxPerMinute : kMaxBurst;
    if (field.value.get_int64().get(n) != simdjson::SUCCESS || n < 1 || n > max)
      return invalid(std::string(k), "must be null or an integer from 1 to " + std::to_string(max));
    (rate ? r.per_minute : r.burst) = n;
  }
  if (!any) return ApiError(400, "invalid_request", "send requestsPerMinute and/or burst (null: the default)");
  return r;
}

void write_override(http::JsonWriter& w, const RateOverride& r) {
  if (r.per_minute) w.key("requestsPerMinute").int64(*r.per_minute);
  else w.key("requestsPerMinute").null();
  if (r.burst) w.key("burst").int64(*r.burst);
  else w.key("burst").null();
}

Task<void> put_user_rate(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string user(ex.request().param("id"));
  if (!valid_user_id(user))
    co_return co_await respond_api_error(ex,
                                         ApiError(400, "invalid_user", "user ids are 1 to 128 of [A-Za-z0-9._@:-]"));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_override(std::get<std::string>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  RateOverride r = std::get<RateOverride>(parsed);
  auto st = co_await service::set_user_rate(*ctx.pg, user, r.per_minute, r.burst);
  if (!st.ok()) co_return co_await respond_api_error(ex, api_error_from(st.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("user").string(user);
  write_override(w, r);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

bool valid_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

Task<void> put_key_rate(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string key(ex.request().param("id"));
  if (!valid_uuid(key)) co_return co_await respond_api_error(ex, ApiError(404, "not_found", "no API key with this id"));
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  auto parsed = parse_override(std::get<std::string>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
  RateOverride r = std::get<RateOverride>(parsed);
  auto st = co_await service::set_key_rate(*ctx.pg, key, r.per_minute, r.burst);
  if (!st.ok()) co_return co_await respond_api_error(ex, api_error_from(st.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("keyId").string(key);
  write_override(w, r);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

void add_tier_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  router.add("GET", "/v1/admin/tiers", [contexts](HttpExchange& ex) { return list(ex, contexts); });
  router.add("GET", "/v1/admin/tiers/{name}", [contexts](HttpExchange& ex) { return get_one(ex, contexts); });
  router.add(
      "PUT", "/v1/admin/tiers/{name}", [contexts](HttpExchange& ex) { return put_one(ex, contexts); }, small);
  router.add(
      "PUT", "/v1/admin/users/{id}/rate-limit", [contexts](HttpExchange& ex) { return put_user_rate(ex, contexts); },
      small);
  router.add(
      "PUT", "/v1/admin/keys/{id}/rate-limit", [contexts](HttpExchange& ex) { return put_key_rate(ex, contexts); },
      small);
}

}  // namespace sluice
