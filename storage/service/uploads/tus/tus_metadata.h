// Upload-Metadata (tus creation): comma-separated "key base64value" pairs; keys non-empty,
// unique, without spaces or commas; a value may be absent. Sluice reads filename, filetype,
// path and onConflict from it; HEAD echoes the header as it was accepted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

// Key -> decoded value. Errc::invalid_argument says which pair is malformed.
Result<std::map<std::string, std::string>> parse_upload_metadata(std::string_view header);

// Standard base64 (padding optional); nullopt when malformed.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace sluice
