// Strict RFC 3339 date-times ("2030-01-02T03:04:05Z", "...05.250+02:00"), as clients send
// expiry times: parsed here rather than by PostgreSQL, whose timestamptz input accepts far more;
// and the one form the API writes them in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Milliseconds since the Unix epoch (UTC), or nullopt for anything that is not an RFC 3339
// date-time with a time zone (Z or +-hh:mm). Fractions beyond milliseconds are truncated.
std::optional<int64_t> parse_rfc3339_millis(std::string_view text);

// "2030-01-02T03:04:05.000Z": UTC with milliseconds, as SLUICE_SQL_ISO_TIME writes row times.
std::string format_rfc3339_seconds(int64_t unix_seconds);

}  // namespace sluice
