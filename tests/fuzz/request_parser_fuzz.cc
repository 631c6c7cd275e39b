// Fuzzes RequestParser: input[0] chooses how the rest is cut into pieces (as recv() would cut
// it), the rest is the byte stream of one connection. The pieces are fed the way
// ServerConnection feeds them; the events (heads, body bytes, message ends, error) must be the
// same as when the stream arrives in one piece, and the parser must never stall or overrun.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "tests/fuzz/fuzz_pieces.h"

namespace {

using sluice::RequestParser;
using Event = RequestParser::Event;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void describe(sluice::Request& r, std::string& log) {
  log += "H[" + r.method + " " + r.target;
  for (const auto& [name, value] : r.headers) log += "|" + name + ":" + value;
  log += r.content_length ? " cl=" + std::to_string(*r.content_length) : " cl=none";
  log += r.chunked ? " chunked" : "";
  log += r.keep_alive ? " keep" : " close";
  log += r.expect_continue ? " continue]" : "]";
  // What handlers call on every request.
  check(r.path().size() <= r.target.size());
  (void)r.query_param("a");
  (void)r.header("host");
  (void)r.has_body();
}

// Everything the server would act on, as text.
std::string run(std::string_view input, uint8_t control) {
  sluice::ParserLimits limits;
  limits.max_head_bytes = 2048;  // small, so inputs of a few KiB reach every limit
  limits.max_url_bytes = 512;
  limits.max_headers = 16;
  RequestParser parser(limits);
  sluice::fuzz::Pieces pieces(control);
  std::string log;
  size_t pos = 0;
  do {
    size_t n = pos < input.size() ? pieces.next(input.size() - pos) : 0;
    std::span<const char> piece(input.data() + pos, n);
    pos += n;
    int stalls = 0;
    for (;;) {
      // An empty piece goes in as the server's released buffer does: a null, empty span.
      RequestParser::Step step = parser.feed(piece.empty() ? std::span<const char>() : piece);
      check(step.consumed <= piece.size());
      piece = piece.subspan(step.consumed);
      switch (step.event) {
        case Event::error: {
          int status = parser.error_status();
          check(status == 400 || status == 413 || status == 414 || status == 417 || status == 431);
          check(!parser.error_message().empty());
          log += "E";
          return log;
        }
        case Event::head_complete:
          describe(parser.request(), log);
          break;
        case Event::body:
          check(!step.body.empty());  // an empty span would read as the end of the body
          log.append(step.body.data(), step.body.size());
          break;
        case Event::message_complete:
          check(parser.between_messages());
          log += "C";
          break;
        case Event::need_more:
          break;
      }
      if (step.event != Event::need_more) {
        stalls = 0;
        continue;
      }
      if (piece.empty()) break;
      // The server feeds again while its buffer holds bytes: no progress would spin forever.
      check(step.consumed > 0 || ++stalls < 3);
    }
  } while (pos < input.size());
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string whole = run(stream, 0);
  if (data[0] != 0) check(run(stream, data[0]) == whole);
  return 0;
}
