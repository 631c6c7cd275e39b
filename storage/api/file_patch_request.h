// The body of PATCH /v1/files/{id}: a JSON merge patch (RFC 7396) of a file's name, path,
// visibility, tags, favorite, metadata and expiresAt, checked here and turned into a
// service::FilePatch; anything else is a 400.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "storage/api/api_error.h"
#include "storage/service/files/file_changes.h"

namespace sluice {

// `now_ms`: the present (milliseconds since the epoch), for "expiresAt must be in the future".
std::variant<service::FilePatch, ApiError> parse_file_patch(const std::string& body, int64_t now_ms);

}  // namespace sluice
