// Strict UTF-8 (Unicode table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF)
// and the code point classes user-visible names refuse. The one validator for every string
// that comes from a client and reaches PostgreSQL or a header.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice {

// Decodes the scalar value at s[pos]. Well formed: sets `cp`, advances `pos` past it, true.
// Ill formed: advances `pos` past the maximal ill-formed subpart (what one U+FFFD replaces),
// false. `pos` must be < s.size().
bool utf8_next(std::string_view s, size_t& pos, char32_t& cp);

// True if `s` is entirely well-formed UTF-8.
bool valid_utf8(std::string_view s);

// Unicode general category Cf (format characters: bidi overrides and isolates, zero-width
// characters, soft hyphen, BOM, tags...): invisible, and able to make a name display as
// something it is not.
bool is_format_char(char32_t cp);

// Cc (C0, DEL, C1) plus the line and paragraph separators U+2028 / U+2029.
bool is_control_char(char32_t cp);

}  // namespace sluice
