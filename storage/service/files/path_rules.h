// Rules for the user-visible virtual path and file name (metadata only: object keys are never
// derived from them). Rejects traversal, NUL and control characters, invisible format
// characters (Unicode Cf: bidi overrides, zero-width...), ill-formed UTF-8, backslashes,
// over-long input; normalises the path to "/a/b" form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

inline constexpr size_t kMaxPathBytes = 1024;
inline constexpr size_t kMaxNameBytes = 255;

// "" or "/" -> "/"; "docs//x/" -> "/docs/x". Errors name the offending part.
Result<std::string> normalize_virtual_path(std::string_view path);
// A file name: 1..255 bytes, strict UTF-8, no '/', '\\', NUL, control or format characters,
// not "." or "..".
Result<std::string> validate_file_name(std::string_view name);

}  // namespace sluice
