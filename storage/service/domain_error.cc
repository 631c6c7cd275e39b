#include "storage/service/domain_error.h"

namespace sluice {

namespace {

Errc kind_of(Reason r) {
  switch (r) {
    case Reason::invalid_request:
    case Reason::invalid_size:
    case Reason::unknown_tier:
    case Reason::checksum_mismatch:
    case Reason::invalid_part_size:
    case Reason::invalid_part_number:
    case Reason::missing_part:
    case Reason::etag_mismatch:
    case Reason::part_size_mismatch:
    case Reason::declared_size_exceeded:
    case Reason::invalid_part:
    case Reason::invalid_expiry: return Errc::invalid_argument;
    case Reason::invalid_cursor: return Errc::invalid_argument;
    case Reason::share_exhausted: return Errc::limit_exceeded;
    case Reason::password_required:
    case Reason::wrong_password: return Errc::unauthenticated;
    case Reason::download_not_allowed: return Errc::permission_denied;
    case Reason::not_found: return Errc::not_found;
    case Reason::forbidden:
    case Reason::insufficient_scope:
    case Reason::content_length_mismatch: return Errc::permission_denied;
    case Reason::name_conflict:
    case Reason::conflict:
    case Reason::part_in_progress:
    case Reason::complete_in_progress:
    case Reason::upload_lost:
    case Reason::upload_active:
    case Reason::upload_completing:
    case Reason::upload_completed:
    case Reason::upload_aborted:
    case Reason::upload_failed:
    case Reason::upload_ended:
    case Reason::upload_expired:
    case Reason::not_available: return Errc::conflict;
    case Reason::size_out_of_range:
    case Reason::file_too_large:
    case Reason::unsupported_media_type:
    case Reason::quota_exceeded:
    case Reason::file_limit_exceeded:
    case Reason::too_many_uploads:
    case Reason::rate_limited:
    case Reason::size_beyond_store:
    case Reason::part_layout_beyond_store: return Errc::limit_exceeded;
    case Reason::server_busy:
    case Reason::unavailable: return Errc::unavailable;
    case Reason::client_too_slow:
    case Reason::store_timeout: return Errc::timeout;
    case Reason::store_failed: return Errc::io_error;
  }
  return Errc::internal;
}

}  // namespace

std::string_view reason_name(Reason r) {
  switch (r) {
    case Reason::invalid_request: return "invalid_request";
    case Reason::invalid_size: return "invalid_size";
    case Reason::unknown_tier: return "invalid_tier";
    case Reason::size_out_of_range: return "size_out_of_range";
    case Reason::checksum_mismatch: return "checksum_mismatch";
    case Reason::not_found: return "not_found";
    case Reason::forbidden: return "forbidden";
    case Reason::insufficient_scope: return "insufficient_scope";
    case Reason::name_conflict: return "name_conflict";
    case Reason::conflict: return "conflict";
    case Reason::part_in_progress: return "part_in_progress";
    case Reason::content_length_mismatch: return "content_length_mismatch";
    case Reason::file_too_large: return "file_too_large";
    case Reason::unsupported_media_type: return "unsupported_media_type";
    case Reason::quota_exceeded: return "quota_exceeded";
    case Reason::file_limit_exceeded: return "file_limit_exceeded";
    case Reason::too_many_uploads: return "too_many_uploads";
    case Reason::rate_limited: return "rate_limited";
    case Reason::server_busy: return "server_busy";
    case Reason::client_too_slow: return "client_too_slow";
    case Reason::store_failed: return "storage_error";
    case Reason::store_timeout: return "storage_timeout";
    case Reason::unavailable: return "unavailable";
    case Reason::invalid_part_size: return "invalid_part_size";
    case Reason::size_beyond_store: return "size_beyond_store";
    case Reason::part_layout_beyond_store: return "part_layout_beyond_store";
    case Reason::invalid_part_number: return "invalid_part_number";
    case Reason::missing_part: return "missing_part";
    case Reason::etag_mismatch: return "etag_mismatch";
    case Reason::part_size_mismatch: return "part_size_mismatch";
    case Reason::declared_size_exceeded: return "declared_size_exceeded";
    case Reason::invalid_part: return "invalid_part";
    case Reason::complete_in_progress: return "complete_in_progress";
    case Reason::upload_lost: return "upload_lost";
    case Reason::upload_active: return "upload_active";
    case Reason::upload_completing: return "upload_completing";
    case Reason::upload_completed: return "upload_completed";
    case Reason::upload_aborted: return "upload_aborted";
    case Reason::upload_failed: return "upload_failed";
    case Reason::upload_ended: return "upload_ended";
    case Reason::upload_expired: return "upload_expired";
    case Reason::not_available: return "not_available";
    case Reason::invalid_expiry: return "invalid_expiry";
    case Reason::invalid_cursor: return "invalid_cursor";
    case Reason::share_exhausted: return "download_limit_reached";
    case Reason::password_required: return "password_required";
    case Reason::wrong_password: return "wrong_password";
    case Reason::download_not_allowed: return "download_not_allowed";
  }
  return "internal";
}

Error domain_error(Reason r, std::string message, std::string details_json, int retry_after_s) {
  Error e(kind_of(r), std::move(message));
  e.reason = std::string(reason_name(r));
  e.details_json = std::move(details_json);
  e.retry_after_s = retry_after_s;
  return e;
}

}  // namespace sluice
