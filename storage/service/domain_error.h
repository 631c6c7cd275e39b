// The service layer's refusals: each reason a domain function can give, with the broad kind it
// belongs to. Service code returns them in a Result's Error; only storage/api maps a reason to
// an HTTP status (api/api_error.cc), so the rules below never see a status code.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

enum class Reason {
  invalid_request,        // malformed input (the message says which field and why)
  invalid_size,           // a size or length out of its allowed range
  unknown_tier,           // no tier has this name
  size_out_of_range,      // a client size that no file could have
  checksum_mismatch,      // the bytes do not match the digest the client sent
  not_found,              // absent, or not the caller's: indistinguishable on purpose
  forbidden,              // the caller may not do this
  insufficient_scope,     // an API key without the scope this needs
  name_conflict,          // a live file already has this path and name
  conflict,               // the resource's state does not allow it now
  part_in_progress,       // another PUT of the same part is running
  content_length_mismatch,
  file_too_large,         // larger than the tier allows
  unsupported_media_type, // a content type the tier does not allow
  quota_exceeded,         // the account's bytes would exceed its quota
  file_limit_exceeded,    // the account's file count would exceed its limit
  too_many_uploads,       // the user's concurrent uploads are at the tier's limit
  rate_limited,           // more requests of this kind than the window allows
  server_busy,            // this instance has no slot for it now
  client_too_slow,        // the body came slower than the minimum rate
  store_failed,           // the object store refused or failed
  store_timeout,          // the object store did not answer in time
  unavailable,            // a dependency (PostgreSQL, Redis) is down
  // Upload sessions (client-driven multipart uploads): their layout and their parts.
  invalid_part_size,         // the client's part size breaks the store's part rules
  size_beyond_store,         // larger than the store can hold as one object (no part size given)
  part_layout_beyond_store,  // likewise, with a part size given
  invalid_part_number,       // outside 1..total_parts
  missing_part,              // a part not uploaded, or not listed in a complete
  etag_mismatch,             // a listed part's etag is not the stored one
  part_size_mismatch,        // a part's size is not what the layout needs
  declared_size_exceeded,    // the store holds more bytes than the session declared
  invalid_part,              // the store refused the part list when joining it
  complete_in_progress,      // another complete of the session is running
  upload_lost,               // the store no longer has the session's parts
  // The session (or upload) is not active: one reason per state, as clients see them.
  upload_active,
  upload_completing,
  upload_completed,
  upload_aborted,
  upload_failed,
  upload_ended,              // it ended between a read and an update
  upload_expired,            // cancelled (e.g. by the janitor) before its commit
  // Reading files.
  not_available,             // the file's bytes are still being uploaded
  invalid_expiry,            // a signed URL's lifetime outside the configured bounds
  invalid_cursor,            // a listing cursor that is malformed or made for another sort
  // Shares.
  share_exhausted,           // the share's download limit is used up
  password_required,         // a password share, no (valid) access token presented
  wrong_password,            // the share's password does not match (or too many attempts)
  download_not_allowed,      // the share allows metadata only
};

std::string_view reason_name(Reason r);

// An Error carrying `r`: its kind (Errc) follows from the reason.
Error domain_error(Reason r, std::string message, std::string details_json = {}, int retry_after_s = 0);

}  // namespace sluice
