// A query string as the listing routes read it: every key=value, percent-decoded, in order.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "storage/api/api_error.h"

namespace sluice {

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

// A key may repeat (tag); 400 invalid_request for a bad percent escape.
std::variant<QueryPairs, ApiError> query_pairs(std::string_view query);

}  // namespace sluice
