// Object key -> relative file path for the local-disk store. Keys are split on '/', and every
// byte outside [A-Za-z0-9._-] of each segment is percent-encoded (upper-case hex), so distinct
// keys map to distinct paths; traversal ("..", ".", absolute, empty segments, NUL, '\') is
// refused. Object files carry a suffix no encoded segment can contain, so "a" and "a/b" coexist.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::local {

inline constexpr size_t kMaxKeyBytes = 1024;  // S3's limit
inline constexpr size_t kMaxNameBytes = 255;  // NAME_MAX of every Linux filesystem we run on
// Marks object files. '~' is always encoded (%7E) in segments, so no directory ends like this.
inline constexpr std::string_view kObjectSuffix = "~obj";

// Checks that a key is acceptable: 1..kMaxKeyBytes bytes, no leading '/', no empty, "." or ".."
// segment, no NUL or backslash, and each encoded segment within NAME_MAX.
Status validate_key(std::string_view key);

// The path of the key's object file relative to the objects directory,
// e.g. "u/42/2024/05/01/F1~obj". Errc::invalid_argument for an unacceptable key.
Result<std::string> object_path_for_key(std::string_view key);

// Percent-encodes one segment: [A-Za-z0-9._-] kept, every other byte as %XX.
std::string encode_segment(std::string_view segment);
// Inverse of encode_segment for its exact output only (upper-case hex, no needless escapes),
// so decoding is injective; nullopt for anything else (stray files in the tree).
std::optional<std::string> decode_segment(std::string_view encoded);

// Where a key prefix starts in the tree: the directory holding every key with that prefix
// (relative to the objects directory, "" for the top), the key prefix of that directory
// ("u/42/" or ""), and the partial last segment names must start with once decoded.
struct PrefixStart {
  std::string dir;
  std::string key_prefix;
  std::string partial;
};
// nullopt when no valid key can have this prefix (e.g. it contains a ".." segment).
std::optional<PrefixStart> prefix_start(std::string_view prefix);

}  // namespace sluice::local
