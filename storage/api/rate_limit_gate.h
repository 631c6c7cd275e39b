// The rate-limit gate of the API: spends a request's cost (route_cost) from its principal's
// limit, adds the RateLimit headers to whatever the route answers, and answers a refusal
// itself: 429 `rate_limited` with Retry-After (or 503 when Redis is down and
// SLUICE_REDIS_FAILURE=closed), before any body byte is read. With SLUICE_RATE_LIMITS off every
// call passes and adds nothing.
//
// Headers on every answer of a limited route (limit = units per minute, remaining = units left
// now, reset = seconds until the allowance is full again):
//   RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (drafts <= -06, what clients read);
//   RateLimit-Policy: "user";q=<per minute>;w=60 and RateLimit: "user";r=<remaining>;t=<reset>
//   (the current draft; the policy name is user, key or address);
//   X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (Unix time of the reset, as GitHub).
#pragma once

#include "core/task.h"
#include "http/http_exchange.h"
#include "storage/service/auth/principal.h"
#include "storage/service/service_context.h"

namespace sluice {

// For authenticated routes (authenticate_caller and authenticate_admin call it): the user's
// limit, and an API key's own limit too when it has one (both must allow). False after answering.
Task<bool> limit_caller(HttpExchange& ex, ServiceContext& ctx, const Principal& who);

// For routes anyone may call (/public/...; share links): limits the client address (the peer,
// or the forwarded client when the peer is a trusted proxy) by the free tier's limit. Call it
// first in the handler, before reading anything else: `if (!co_await limit_public(ex, ctx)) co_return;`
// False after answering.
Task<bool> limit_public(HttpExchange& ex, ServiceContext& ctx);

// A failed authentication is charged to the client address too: false after answering 429 when
// that address is over its limit (the caller then does not answer its 401).
Task<bool> limit_failed_auth(HttpExchange& ex, ServiceContext& ctx);

// The client's address as the rate limits see it (X-Forwarded-For / Forwarded from a trusted
// proxy, the peer otherwise): for the audit log.
std::string client_address_of(HttpExchange& ex, ServiceContext& ctx);

}  // namespace sluice
