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
  server_busy,            // this instance has no slot for it now
  client_too_slow,        // the body came slower than the minimum rate
  store_failed,           // the object store refused or failed
  store_timeout,          // the object store did not answer in time
  unavailable,            // a dependency (PostgreSQL, Redis) is down
};

std::string_view reason_name(Reason r);

// An Error carrying `r`: its kind (Errc) follows from the reason.
Error domain_error(Reason r, std::string message, std::string details_json = {}, int retry_after_s = 0);

}  // namespace sluice
