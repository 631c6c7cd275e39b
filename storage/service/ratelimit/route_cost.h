// What one request costs against a rate limit, by route: bodies that carry file bytes weigh
// more than metadata reads. A small table, so the price list is in one place.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

inline constexpr int64_t kUploadRequestCost = 5;  // a request that carries file bytes
inline constexpr int64_t kRequestCost = 1;        // everything else

// The cost of `method` on `path`: PUT /v1/files/content, the form upload (POST /v1/files)
// and part PUTs cost
// kUploadRequestCost, the rest kRequestCost.
inline int64_t route_cost(std::string_view method, std::string_view path) {
  bool writes = method == "PUT" || method == "POST";
  if (!writes) return kRequestCost;
  bool is_part =
      path.starts_with("/v1/uploads/") && path.find("/parts/") != std::string_view::npos && !path.ends_with("/url");
  bool carries_bytes = path == "/v1/files/content" || path == "/v1/files" || is_part;
  return carries_bytes ? kUploadRequestCost : kRequestCost;
}

}  // namespace sluice
