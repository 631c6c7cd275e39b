#include "storage/api/api_error.h"

#include <string>
#include <string_view>

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


// The one table from the service layer's reasons to HTTP statuses.
struct ReasonStatus {
  std::string_view reason;
  int status;
};
constexpr ReasonStatus kReasonStatus[] = {
    {"invalid_request", 400},         {"invalid_size", 400},
    {"invalid_tier", 400},
    {"checksum_mismatch", 400},       {"size_out_of_range", 413},
    {"not_found", 404},               {"forbidden", 403},
    {"insufficient_scope", 403},      {"content_length_mismatch", 403},
    {"name_conflict", 409},           {"conflict", 409},
    {"part_in_progress", 409},        {"file_too_large", 413},
    {"unsupported_media_type", 415},  {"quota_exceeded", 507},
    {"file_limit_exceeded", 507},     {"too_many_uploads", 429},
    {"server_busy", 503},             {"client_too_slow", 408},
    {"storage_error", 502},           {"storage_timeout", 504},
    {"unavailable", 503},
};

ApiError from_reason(const Error& e) {
  int status = 0;
  for (const auto& rs : kReasonStatus) {
    if (rs.reason == e.reason) status = rs.status;
  }
  if (status == 0) {
    ApiError out = mapped(e);
    out.code = e.reason;
    return out.with_details(e.details_json);
  }
  ApiError out(status, e.reason, e.message);
  out.with_details(e.details_json);
  if (e.retry_after_s > 0) out.with_header("Retry-After", std::to_string(e.retry_after_s));
  if (status == 503 && e.retry_after_s <= 0) out.with_header("Retry-After", "1");
  return out;
}

}  // namespace

ApiError api_error_from(const Error& e) {
  if (!e.reason.empty()) return from_reason(e);
  if (e.public_message.empty()) return mapped(e);
  Error shown = e;
  shown.message = e.public_message;
  ApiError out = mapped(shown);
  out.log_detail = e.message;
  return out;
}

}  // namespace sluice
