#include "storage/api/range_header.h"

#include <charconv>

namespace sluice {

namespace {
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

ParsedRange parse_range_header(std::string_view header, uint64_t size) {
  ParsedRange whole;
  header = trim(header);
  if (!header.starts_with("bytes=")) return whole;
  std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view first_s = trim(spec.substr(0, dash)), last_s = trim(spec.substr(dash + 1));
  ParsedRange out;
  out.kind = RangeKind::partial;
  if (first_s.empty()) {  // suffix: the last n bytes
    uint64_t n = 0;
    if (!parse_u64(last_s, n)) return whole;
    if (n == 0 || size == 0) return ParsedRange{RangeKind::unsatisfiable, {}};
    out.range.first = n >= size ? 0 : size - n;
    out.range.last = size - 1;
    return out;
  }
  uint64_t first = 0;
  if (!parse_u64(first_s, first)) return whole;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_s.empty()) {
    uint64_t l = 0;
    if (!parse_u64(last_s, l) || l < first) return whole;
    last = std::min(l, last);
  }
  if (first >= size) return ParsedRange{RangeKind::unsatisfiable, {}};
  out.range.first = first;
  out.range.last = last;
  return out;
}

}  // namespace sluice
