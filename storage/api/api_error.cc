#include "storage/api/api_error.h"

namespace sluice {

Response ApiError::to_response() const {
  Response r = Response::error(status, code, message, details_json);
  for (const auto& [k, v] : headers) r.header(k, v);
  return r;
}

namespace {

ApiError mapped(const Error& e) {
  switch (e.code) {
    case Errc::invalid_argument: return ApiError(400, "invalid_request", e.message);
    case Errc::not_found: return ApiError(404, "not_found", e.message);
    case Errc::already_exists: return ApiError(409, "conflict", e.message);
    case Errc::conflict: return ApiError(409, "conflict", e.message);
    case Errc::limit_exceeded: return ApiError(413, "payload_too_large", e.message);
    case Errc::permission_denied: return ApiError(403, "forbidden", e.message);
    case Errc::unauthenticated:
      return ApiError(401, "unauthenticated", e.message).with_header("WWW-Authenticate", "Bearer realm=\"sluice\"");
    case Errc::timeout: return ApiError(504, "upstream_timeout", e.message);
    case Errc::unavailable:
      return ApiError(503, "unavailable", e.message).with_header("Retry-After", "1");
    case Errc::closed:
    case Errc::cancelled:
    case Errc::io_error:
    case Errc::protocol_error: return ApiError(502, "upstream_error", e.message);
    case Errc::internal: return ApiError(500, "internal", e.message);
  }
  return ApiError(500, "internal", e.message);
}

}  // namespace

ApiError api_error_from(const Error& e) {
  if (e.public_message.empty()) return mapped(e);
  Error shown = e;
  shown.message = e.public_message;
  ApiError out = mapped(shown);
  out.log_detail = e.message;
  return out;
}

}  // namespace sluice
