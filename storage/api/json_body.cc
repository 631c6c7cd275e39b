#include "storage/api/json_body.h"

namespace sluice {

Task<std::variant<std::string, ApiError>> read_json_body(HttpExchange& ex, size_t limit) {
  std::string_view ct = ex.request().header("content-type");
  if (!ct.empty() && !iequals(ct.substr(0, std::min(ct.size(), size_t{16})), "application/json"))
    co_return ApiError(415, "unsupported_media_type", "send the body as application/json");
  std::string body;
  for (;;) {
    auto piece = co_await ex.read_body();
    if (!piece.ok()) {
      int status = status_for_body_error(piece.error());
      if (status == 0) status = 400;
      co_return ApiError(status, std::string(default_error_code(status)), piece.error().message);
    }
    if (piece->empty()) break;
    if (body.size() + piece->size() > limit)
      co_return ApiError(413, "payload_too_large", "JSON bodies are limited to " + std::to_string(limit) + " bytes");
    body.append(piece->data(), piece->size());
  }
  if (body.empty()) body = "{}";
  co_return body;
}

std::variant<simdjson::dom::object, ApiError> parse_json_object(simdjson::dom::parser& parser,
                                                                const std::string& text) {
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj) != simdjson::SUCCESS)
    return ApiError(400, "invalid_json", "the body must be a JSON object");
  return obj;
}

}  // namespace sluice
