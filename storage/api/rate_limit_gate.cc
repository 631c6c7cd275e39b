#include "storage/api/rate_limit_gate.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/service/ratelimit/client_address.h"
#include "storage/service/ratelimit/limit_cache.h"
#include "storage/service/ratelimit/rate_limiter.h"
#include "storage/service/ratelimit/route_cost.h"

namespace sluice {

namespace {

// A number as decimal text in a small fixed buffer: each figure is formatted once, then copied
// into every header that reports it.
struct Decimal {
  char text[24];
  size_t size;
  explicit Decimal(int64_t v) : size(static_cast<size_t>(std::to_chars(text, text + sizeof text, v).ptr - text)) {}
  std::string_view view() const { return {text, size}; }
};

// All eight header lines formatted into one stack buffer and handed to the exchange at once: on
// every answer of a limited route, so no string is built per header.
void add_rate_headers(HttpExchange& ex, const RateDecision& d, std::string_view policy) {
  const Decimal quota(d.quota), remaining(d.remaining), reset(d.reset_seconds), window(d.window_seconds),
      reset_at(static_cast<int64_t>(time(nullptr)) + d.reset_seconds);
  char buf[512];  // the lines take < 400 bytes: policy names are short, numbers < 20 digits
  size_t n = 0;
  auto put = [&buf, &n](std::string_view s) {
    if (s.size() > sizeof buf - n) return;
    memcpy(buf + n, s.data(), s.size());
    n += s.size();
  };
  put("RateLimit-Limit: "), put(quota.view());
  put("\r\nRateLimit-Remaining: "), put(remaining.view());
  put("\r\nRateLimit-Reset: "), put(reset.view());
  put("\r\nRateLimit-Policy: \""), put(policy), put("\";q="), put(quota.view()), put(";w="), put(window.view());
  put("\r\nRateLimit: \""), put(policy), put("\";r="), put(remaining.view()), put(";t="), put(reset.view());
  put("\r\nX-RateLimit-Limit: "), put(quota.view());
  put("\r\nX-RateLimit-Remaining: "), put(remaining.view());
  put("\r\nX-RateLimit-Reset: "), put(reset_at.view());
  put("\r\n");
  ex.add_response_head_lines(std::string_view(buf, n));
}

Task<void> refuse(HttpExchange& ex, const RateDecision& d, const char* policy) {
  if (d.unavailable) {
    ApiError e(503, "unavailable", "rate limits cannot be checked right now; retry later");
    e.with_header("Retry-After", "1");
    co_return co_await respond_api_error(ex, std::move(e));
  }
  std::string details;
  http::JsonWriter w(details);
  w.begin_object();
  w.key("policy").string(policy);
  w.key("limit").int64(d.quota);
  w.key("windowSeconds").int64(d.window_seconds);
  w.key("retryAfterSeconds").int64(d.retry_after_seconds);
  w.end_object();
  ApiError e(429, "rate_limited",
             std::string("too many requests for this ") + policy + "; retry after " +
                 std::to_string(d.retry_after_seconds) + " s");
  e.with_details(std::move(details));
  e.with_header("Retry-After", std::to_string(d.retry_after_seconds));
  co_await respond_api_error(ex, std::move(e));
}

// Spends `cost` of the principal `prefix` + `id` when this core cannot decide alone
// (RateLimiter::spend_now said nullopt): the one path that waits for Redis.
Task<RateDecision> spend_waiting(ServiceContext& ctx, std::string_view prefix, std::string_view id, RateLimit limit,
                                 int64_t cost) {
  std::string key(prefix);
  key += id;
  co_return co_await ctx.rate_limiter->spend(std::move(key), limit, cost);
}

std::string address_of(HttpExchange& ex, ServiceContext& ctx) {
  const Request& req = ex.request();
  static const TrustedProxies kNone;
  return client_address(ex.peer_ip(), req.header("x-forwarded-for"), req.header("forwarded"),
                        ctx.trusted_proxies ? *ctx.trusted_proxies : kNone);
}

// The limits of `who` (user '' with tier '' and key '' for a client address): from this core's
// cache, or read once when the principal is new here.
Task<PrincipalLimits> limits_of(ServiceContext& ctx, std::string_view user, std::string_view tier,
                                std::string_view key_id) {
  std::string u(user), t(tier), k(key_id);  // named: GCC 12 and temporaries in co_await
  co_return co_await ctx.limit_cache->limits_of(std::move(u), std::move(t), std::move(k));
}

Task<bool> limit_address(HttpExchange& ex, ServiceContext& ctx, int64_t cost) {
  if (!ctx.rate_limiter || !ctx.limit_cache) co_return true;
  PrincipalLimits l;
  if (const PrincipalLimits* hit = ctx.limit_cache->cached({}, {}, {})) {
    l = *hit;
  } else {
    l = co_await limits_of(ctx, {}, {}, {});
  }
  std::string address = address_of(ex, ctx);
  std::optional<RateDecision> d = ctx.rate_limiter->spend_now("a:", address, l.user, cost);
  if (!d) d = co_await spend_waiting(ctx, "a:", address, l.user, cost);
  add_rate_headers(ex, *d, "address");
  if (d->allowed) co_return true;
  co_await refuse(ex, *d, "address");
  co_return false;
}

}  // namespace

// The common case awaits nothing: limits cached on this core and tokens in hand (spend_now), so
// the only coroutine frame is this one.
Task<bool> limit_caller(HttpExchange& ex, ServiceContext& ctx, const Principal& who) {
  if (!ctx.rate_limiter || !ctx.limit_cache) co_return true;
  const Request& req = ex.request();
  int64_t cost = route_cost(req.method, req.path());
  std::string_view key_id = who.via_api_key ? std::string_view(who.api_key_id) : std::string_view();
  PrincipalLimits l;
  if (const PrincipalLimits* hit = ctx.limit_cache->cached(who.user_id, who.tier, key_id)) {
    l = *hit;
  } else {
    l = co_await limits_of(ctx, who.user_id, who.tier, key_id);
  }
  RateLimiter& rl = *ctx.rate_limiter;
  if (l.key) {
    // The key's own limit first: a key over its limit must not spend its owner's allowance.
    std::optional<RateDecision> kd = rl.spend_now("k:", key_id, *l.key, cost);
    if (!kd) kd = co_await spend_waiting(ctx, "k:", key_id, *l.key, cost);
    if (!kd->allowed) {
      add_rate_headers(ex, *kd, "key");
      co_await refuse(ex, *kd, "key");
      co_return false;
    }
    std::optional<RateDecision> ud = rl.spend_now("u:", who.user_id, l.user, cost);
    if (!ud) ud = co_await spend_waiting(ctx, "u:", who.user_id, l.user, cost);
    // Report whichever leaves less.
    bool user_tighter = !ud->allowed || ud->remaining < kd->remaining;
    add_rate_headers(ex, user_tighter ? *ud : *kd, user_tighter ? "user" : "key");
    if (ud->allowed) co_return true;
    co_await refuse(ex, *ud, "user");
    co_return false;
  }
  std::optional<RateDecision> d = rl.spend_now("u:", who.user_id, l.user, cost);
  if (!d) d = co_await spend_waiting(ctx, "u:", who.user_id, l.user, cost);
  add_rate_headers(ex, *d, "user");
  if (d->allowed) co_return true;
  co_await refuse(ex, *d, "user");
  co_return false;
}

Task<bool> limit_public(HttpExchange& ex, ServiceContext& ctx) {
  const Request& req = ex.request();
  co_return co_await limit_address(ex, ctx, route_cost(req.method, req.path()));
}

Task<bool> limit_failed_auth(HttpExchange& ex, ServiceContext& ctx) { co_return co_await limit_address(ex, ctx, 1); }

std::string client_address_of(HttpExchange& ex, ServiceContext& ctx) { return address_of(ex, ctx); }

}  // namespace sluice
