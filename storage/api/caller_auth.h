// Who is calling, for the routes of the API: the one authentication path. Authenticates a
// request against its core's Authenticator, checks the scope the route needs, and answers the
// refusal itself (401, 403, 503), so handlers only see callers that may go on.
#pragma once

#include <optional>
#include <string_view>

#include "core/task.h"
#include "http/http_exchange.h"
#include "storage/api/api_error.h"
#include "storage/service/auth/principal.h"
#include "storage/service/service_context.h"

namespace sluice {

// The context of the core the exchange runs on.
inline ServiceContext& core_context(HttpExchange& ex, ServiceContexts* all) { return *(*all)[ex.reactor().core()]; }

// Sends `e` as the response (the exchange's own send errors are left to the connection); its
// log_detail, if any, goes to the log with the request id.
Task<void> respond_api_error(HttpExchange& ex, ApiError e);

// Every authenticated call passes the rate-limit gate (rate_limit_gate.h) here: the caller's
// limit is spent and its RateLimit headers added; over it, 429 and nullopt. A failed
// authentication is charged to the client address.
//
// The caller, or nullopt after answering 401 (no, bad or expired credentials), 503 with
// Retry-After (they cannot be checked now, e.g. the API-key table is unreachable) or 403
// `insufficient_scope` (an API key without `need`; a JWT holds every scope).
Task<std::optional<Principal>> authenticate_caller(HttpExchange& ex, ServiceContext& ctx, ApiScope need);

// The 403 for a caller that lacks `need` (details: requiredScope, grantedScopes).
ApiError insufficient_scope(const Principal& who, ApiScope need);

// As authenticate_caller, and additionally nullopt after answering 403 unless the caller's role
// is admin or root. API keys always carry the user role, so they never pass.
Task<std::optional<Principal>> authenticate_admin(HttpExchange& ex, ServiceContext& ctx);

// A user id as accounts accept it (1..128 of [A-Za-z0-9._@:-]): checked before admin routes
// put one into SQL parameters or Redis key names.
bool valid_user_id(std::string_view id);

}  // namespace sluice
