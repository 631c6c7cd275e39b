// Base64url without padding (RFC 4648 §5), the encoding of JWS segments and JWK members.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

std::string base64url_encode(std::string_view bytes);

// Strict: only [A-Za-z0-9_-], no '=' padding, no whitespace, and the unused low bits of the
// last character must be zero, so each byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sluice::auth
