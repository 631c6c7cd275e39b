#include "storage/api/rate_limit_gate.h"

#include <ctime>
#include <string>

#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/service/ratelimit/client_address.h"
#include "storage/service/ratelimit/limit_cache.h"
#include "storage/service/ratelimit/rate_limiter.h"
#include "storage/service/ratelimit/route_cost.h"

namespace sluice {

namespace {

void add_rate_headers(HttpExchange& ex, const RateDecision& d, const char* policy) {
  std::string limit = std::to_string(d.quota);
  std::string remaining = std::to_string(d.remaining);
  std::string reset = std::to_string(d.reset_seconds);
  ex.add_response_header("RateLimit-Limit", limit);
  ex.add_response_header("RateLimit-Remaining", remaining);
  ex.add_response_header("RateLimit-Reset", reset);
  ex.add_response_header("RateLimit-Policy",
                         std::string("\"") + policy + "\";q=" + limit + ";w=" + std::to_string(d.window_seconds));
  ex.add_response_header("RateLimit", std::string("\"") + policy + "\";r=" + remaining + ";t=" + reset);
  ex.add_response_header("X-RateLimit-Limit", limit);
  ex.add_response_header("X-RateLimit-Remaining", remaining);
  ex.add_response_header("X-RateLimit-Reset", std::to_string(static_cast<int64_t>(time(nullptr)) + d.reset_seconds));
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

// Spends from `key`'s limit; adds the headers of `policy`. False after answering a refusal.
Task<bool> gate(HttpExchange& ex, ServiceContext& ctx, std::string key, RateLimit limit, int64_t cost,
                const char* policy) {
  RateDecision d = co_await ctx.rate_limiter->spend(std::move(key), limit, cost);
  add_rate_headers(ex, d, policy);
  if (d.allowed) co_return true;
  co_await refuse(ex, d, policy);
  co_return false;
}

std::string address_of(HttpExchange& ex, ServiceContext& ctx) {
  const Request& req = ex.request();
  static const TrustedProxies kNone;
  return client_address(ex.peer_ip(), req.header("x-forwarded-for"), req.header("forwarded"),
                        ctx.trusted_proxies ? *ctx.trusted_proxies : kNone);
}

Task<bool> limit_address(HttpExchange& ex, ServiceContext& ctx, int64_t cost) {
  if (!ctx.rate_limiter || !ctx.limit_cache) co_return true;
  std::string anonymous, no_tier, no_key;  // named: GCC 12 and temporaries in co_await
  PrincipalLimits l = co_await ctx.limit_cache->limits_of(anonymous, no_tier, no_key);
  std::string key = "a:" + address_of(ex, ctx);
  co_return co_await gate(ex, ctx, std::move(key), l.user, cost, "address");
}

}  // namespace

Task<bool> limit_caller(HttpExchange& ex, ServiceContext& ctx, const Principal& who) {
  if (!ctx.rate_limiter || !ctx.limit_cache) co_return true;
  const Request& req = ex.request();
  int64_t cost = route_cost(req.method, req.path());
  std::string key_id = who.via_api_key ? who.api_key_id : std::string();
  PrincipalLimits l = co_await ctx.limit_cache->limits_of(who.user_id, who.tier, key_id);
  if (l.key) {
    // The key's own limit first: a key over its limit must not spend its owner's allowance.
    std::string key_key = "k:" + key_id;
    RateDecision kd = co_await ctx.rate_limiter->spend(key_key, *l.key, cost);
    if (!kd.allowed) {
      add_rate_headers(ex, kd, "key");
      co_await refuse(ex, kd, "key");
      co_return false;
    }
    std::string user_key = "u:" + who.user_id;
    RateDecision ud = co_await ctx.rate_limiter->spend(user_key, l.user, cost);
    // Report whichever leaves less.
    bool user_tighter = !ud.allowed || ud.remaining < kd.remaining;
    add_rate_headers(ex, user_tighter ? ud : kd, user_tighter ? "user" : "key");
    if (ud.allowed) co_return true;
    co_await refuse(ex, ud, "user");
    co_return false;
  }
  std::string user_key = "u:" + who.user_id;
  co_return co_await gate(ex, ctx, std::move(user_key), l.user, cost, "user");
}

Task<bool> limit_public(HttpExchange& ex, ServiceContext& ctx) {
  const Request& req = ex.request();
  co_return co_await limit_address(ex, ctx, route_cost(req.method, req.path()));
}

Task<bool> limit_failed_auth(HttpExchange& ex, ServiceContext& ctx) { co_return co_await limit_address(ex, ctx, 1); }

}  // namespace sluice
