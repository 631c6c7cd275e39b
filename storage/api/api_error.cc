#include "storage/api/api_error.h"

#include <string>
#include <string_view>

#include "http/http_exchange.h"

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


// The one table from the service layer's reasons to HTTP statuses. The client-visible code is
// the reason's name unless `code` says otherwise (codes clients have always been given).
struct ReasonStatus {
  std::string_view reason;
  int status;
  std::string_view code = {};
};
constexpr ReasonStatus kReasonStatus[] = {
    {"invalid_request", 400},
    {"invalid_size", 400},
    {"invalid_tier", 400},
    {"checksum_mismatch", 400},
    {"size_out_of_range", 413},
    {"not_found", 404},
    {"forbidden", 403},
    {"insufficient_scope", 403},
    {"content_length_mismatch", 403},
    {"name_conflict", 409},
    {"conflict", 409},
    {"part_in_progress", 409},
    {"file_too_large", 413},
    {"unsupported_media_type", 415},
    {"quota_exceeded", 507},
    {"file_limit_exceeded", 507},
    {"too_many_uploads", 429},
    {"rate_limited", 429},
    {"server_busy", 503},
    {"client_too_slow", 408},
    {"storage_error", 502},
    {"storage_timeout", 504},
    {"unavailable", 503},
    {"invalid_part_size", 400},
    {"size_beyond_store", 413, "invalid_size"},
    {"part_layout_beyond_store", 413, "invalid_part_size"},
    {"invalid_part_number", 400},
    {"missing_part", 400},
    {"etag_mismatch", 400},
    {"part_size_mismatch", 400},
    {"declared_size_exceeded", 400},
    {"invalid_part", 400},
    {"complete_in_progress", 409},
    {"upload_lost", 409},
    {"upload_active", 409},
    {"upload_completing", 409},
    {"upload_completed", 409},
    {"upload_aborted", 409},
    {"upload_failed", 409},
    {"upload_ended", 409},
    {"upload_expired", 409},
    {"not_available", 409},
    {"invalid_expiry", 400},
    {"invalid_cursor", 400},
    {"download_limit_reached", 410},
    {"password_required", 401},
    {"wrong_password", 401},
    {"download_not_allowed", 403},
};

ApiError from_reason(const Error& e) {
  int status = 0;
  std::string code = e.reason;
  for (const auto& rs : kReasonStatus) {
    if (rs.reason != e.reason) continue;
    status = rs.status;
    if (!rs.code.empty()) code = std::string(rs.code);
  }
  if (status == 0) {
    ApiError out = mapped(e);
    out.code = e.reason;
    return out.with_details(e.details_json);
  }
  ApiError out(status, std::move(code), e.message);
  out.with_details(e.details_json);
  if (e.retry_after_s > 0) out.with_header("Retry-After", std::to_string(e.retry_after_s));
  if (status == 503 && e.retry_after_s <= 0) out.with_header("Retry-After", "1");
  return out;
}

}  // namespace

ApiError body_api_error(const Error& e) {
  int status = status_for_body_error(e);
  if (status == 0) return ApiError(400, "client_disconnected", e.message);
  return ApiError(status, std::string(default_error_code(status)), e.message);
}

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
