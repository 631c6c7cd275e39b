// Checksums a client may send with an upload: Content-MD5 (base64, RFC 1864) and
// X-Checksum-SHA256 (hex or base64), normalised to lower-case hex for comparison.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

struct ExpectedChecksums {
  std::optional<std::string> md5_hex;
  std::optional<std::string> sha256_hex;
};

// Parses both headers (empty = absent). A malformed value is Errc::invalid_argument.
Result<ExpectedChecksums> parse_checksum_headers(std::string_view content_md5, std::string_view sha256);

}  // namespace sluice
