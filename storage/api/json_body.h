// Small JSON request bodies (API keys, admin changes): read whole, bounded, and parsed with
// simdjson; failures come back as the ApiError to send (400, 408, 413, 415).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <variant>

#include "core/task.h"
#include "http/http_exchange.h"
#include "storage/api/api_error.h"

namespace sluice {

inline constexpr size_t kMaxJsonBodyBytes = 64 * 1024;

// The whole body as text; an empty body reads as "{}" (every field optional). Refuses a
// Content-Type other than application/json when one is given.
Task<std::variant<std::string, ApiError>> read_json_body(HttpExchange& ex, size_t limit = kMaxJsonBodyBytes);

// Parses `text` (kept alive by the caller) as a JSON object; ApiError 400 otherwise.
std::variant<simdjson::dom::object, ApiError> parse_json_object(simdjson::dom::parser& parser, const std::string& text);

}  // namespace sluice
