#include "storage/api/query_pairs.h"

#include "http/request.h"

namespace sluice {

std::variant<QueryPairs, ApiError> query_pairs(std::string_view query) {
  QueryPairs out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return ApiError(400, "invalid_request", "the query string has a bad percent escape");
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace sluice
