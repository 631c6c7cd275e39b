// Fuzzes parse_range_header: input[0..7] is the object size (little-endian; small values are as
// likely as huge ones near 2^64), the rest the Range header value. A partial range must lie
// inside the object, and the answer must not change with surrounding blanks.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/api/range_header.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t object_size = 0;
  std::memcpy(&object_size, data, 8);
  // The top bit of the first byte keeps sizes small, where off-by-ones live.
  if ((data[0] & 0x80) == 0) object_size &= 0xFFFF;
  std::string_view header(reinterpret_cast<const char*>(data) + 8, size - 8);
  sluice::ParsedRange r = sluice::parse_range_header(header, object_size);
  switch (r.kind) {
    case sluice::RangeKind::whole:
      break;
    case sluice::RangeKind::unsatisfiable:
      break;
    case sluice::RangeKind::partial:
      check(object_size > 0);
      check(r.range.last.has_value());
      check(r.range.first <= *r.range.last);
      check(*r.range.last < object_size);
      break;
  }
  std::string padded = " \t" + std::string(header) + "\t ";
  sluice::ParsedRange p = sluice::parse_range_header(padded, object_size);
  check(p.kind == r.kind && p.range.first == r.range.first && p.range.last == r.range.last);
  return 0;
}
