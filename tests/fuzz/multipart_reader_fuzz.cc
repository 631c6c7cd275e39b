// Fuzzes MultipartReader and parse_boundary. input[0] chooses how the body is cut into pieces;
// then a Content-Type value up to the first '\n', then the body. Parts, data bytes, part ends
// and the outcome must not depend on the piece edges, and part_bytes() must match the data.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/multipart_reader.h"
#include "tests/fuzz/fuzz_pieces.h"

namespace {

using sluice::http::MultipartEvent;
using sluice::http::MultipartReader;
using Kind = MultipartEvent::Kind;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string run(std::string_view boundary, std::string_view body, uint8_t control) {
  sluice::http::MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_header_block_bytes = 512;
  limits.max_headers_per_part = 8;
  MultipartReader reader(boundary, limits);
  sluice::fuzz::Pieces pieces(control);
  std::string log;
  uint64_t part_bytes = 0;
  size_t pos = 0;
  bool finished = false;
  reader.feed(std::span<const char>());  // an empty body piece, as a released buffer: null and empty
  for (;;) {
    auto ev = reader.next();
    if (!ev.ok()) {
      check(!ev.error().message.empty());
      log += "X" + std::string(sluice::errc_name(ev.error().code));
      return log;
    }
    switch (ev->kind) {
      case Kind::need_more:
        check(!finished);  // after finish() the reader must conclude, never ask for more
        if (pos == body.size()) {
          reader.finish();
          finished = true;
        } else {
          size_t n = pieces.next(body.size() - pos);
          reader.feed(body.substr(pos, n));
          pos += n;
        }
        break;
      case Kind::part_begin: {
        check(reader.part_count() >= 1 && reader.part_count() <= limits.max_parts);
        const auto& p = reader.part();
        log += "B[" + p.name + "|" + (p.filename ? "f:" + *p.filename : "-") + "|" + p.content_type;
        for (const auto& h : p.headers) log += "|" + h.name + ":" + h.value;
        log += "]";
        part_bytes = 0;
        break;
      }
      case Kind::data:
        part_bytes += ev->data.size();
        check(reader.part_bytes() == part_bytes);
        log.append(ev->data.data(), ev->data.size());
        break;
      case Kind::part_end:
        log += "E";
        break;
      case Kind::done:
        log += "D";
        return log;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    (void)sluice::http::parse_boundary(rest);
    return 0;
  }
  auto boundary = sluice::http::parse_boundary(rest.substr(0, nl));
  if (!boundary.ok()) return 0;
  check(!boundary->empty() && boundary->size() <= MultipartReader::kMaxBoundary);
  std::string_view body = rest.substr(nl + 1);
  std::string whole = run(*boundary, body, 0);
  if (data[0] != 0) check(run(*boundary, body, data[0]) == whole);
  return 0;
}
