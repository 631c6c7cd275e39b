// How a file's bytes are presented to a browser: `inline` (shown in place) only for types a
// browser renders without running anything of the file's author (images other than SVG, PDF,
// plain text, audio, video); everything else is an `attachment` (saved, never rendered on our
// origin). One place for the rule and for the header text, used by every content route and
// signed download URL (S3 and local alike).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class Disposition { inline_view, attachment };

// "inline" or "attachment" (exact, lower case); nullopt for anything else.
std::optional<Disposition> parse_disposition(std::string_view text);

// True for the safe list: image/* except image/svg+xml, application/pdf, text/plain, audio/*,
// video/*. Parameters (";charset=...") and case are ignored.
bool inline_safe_type(std::string_view content_type);

// What a file of `content_type` is served as when `asked` (inline falls back to attachment
// for a type off the safe list).
Disposition effective_disposition(std::string_view content_type, Disposition asked);

// The Content-Disposition value: `inline` or `attachment`, the name as an ASCII fallback
// (controls, non-ASCII, quotes and backslashes as '_') and as RFC 5987 UTF-8 (filename*).
std::string content_disposition(Disposition d, std::string_view name);

}  // namespace sluice
