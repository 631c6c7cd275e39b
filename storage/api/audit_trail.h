// The audit trail of the API: which routes are recorded in the audit log (every state-changing
// request, and every access to content that does not need the owner's credentials: public
// files, shares, signed URLs, and the issuing of signed URLs), and the wrapper that records them.
//
// The wrapper writes one row with the response's status just before the response goes out (so
// a client holding its answer can read the row; an audited request costs one INSERT): refusals
// (401, 403, 404, 409, wrong share passwords...) are recorded as `refused`, server errors as
// `failed`; 429s are not recorded, so a flood does not turn into a flood of inserts. Handlers add
// what only they learn (the caller, the file an upload made, a share's file and owner) as request
// notes (audit_note).
#pragma once

#include <string>
#include <string_view>

#include "http/http_exchange.h"
#include "http/router.h"
#include "storage/service/service_context.h"

namespace sluice {

// The audit action of a route ("file.delete"), or "" when the route is not audited.
std::string audit_action(std::string_view method, std::string_view pattern);

// `handler` recording an audit row after each request (unchanged when the route is not audited).
Handler audited(const std::string& method, const std::string& pattern, Handler handler, ServiceContexts* contexts);

// Notes for the audit row of this request: "user", "key" (the caller, set by authentication),
// "file", "owner", "target".
inline void audit_note(HttpExchange& ex, std::string_view name, std::string value) {
  ex.request().notes.emplace_back(std::string(name), std::move(value));
}

}  // namespace sluice
