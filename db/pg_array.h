// Text-format PostgreSQL one-dimensional arrays ("{a,\"b c\",NULL}"): how text[] parameters
// are sent and how text[] columns are read back. NULL elements are std::nullopt.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice {

using PgTextArray = std::vector<std::optional<std::string>>;

// Every element double-quoted and escaped, so any text (commas, braces, "NULL") survives.
std::string pg_encode_text_array(std::span<const std::optional<std::string>> elems);
std::string pg_encode_text_array(std::span<const std::string> elems);

// Parses the server's text output for a one-dimensional array.
Result<PgTextArray> pg_decode_text_array(std::string_view text);

}  // namespace sluice
