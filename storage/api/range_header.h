// Range: parses a request's "Range: bytes=..." header against an object's size (RFC 9110
// §14.1.2): one range, "a-b", "a-" or "-n". Several ranges are served as the whole object.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "storage/store/object_store.h"

namespace sluice {

enum class RangeKind { whole, partial, unsatisfiable };

struct ParsedRange {
  RangeKind kind = RangeKind::whole;
  ByteRange range;  // inclusive, for partial
};

// Header absent, malformed or multi-range -> whole (as the RFC allows servers to ignore it).
ParsedRange parse_range_header(std::string_view header, uint64_t size);

}  // namespace sluice
