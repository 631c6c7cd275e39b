// The media types the API accepts for stored files: "type/subtype", at most 255 bytes, no
// control characters (they go back out in Content-Type headers).
#pragma once

#include <string_view>

namespace sluice {

bool valid_media_type(std::string_view ct);

}  // namespace sluice
