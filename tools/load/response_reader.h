// ResponseReader: reads HTTP/1.1 responses off a TcpStream for the load generator: the head's
// few fields the tool acts on, then the body (Content-Length, chunked or until close) streamed
// to a verifier and/or kept up to a limit. Bytes past the current response stay in `pending_`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "tools/load/body_pattern.h"

namespace sluice::load {

struct ResponseHead {
  int status = 0;
  bool keep_alive = true;
  bool has_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  std::string etag;  // as sent, quotes included

  // 1xx, 204 and 304 have no body; neither has the answer to a HEAD (not sent by this tool).
  bool has_body() const { return !(status < 200 || status == 204 || status == 304); }
};

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the final blank line).
Result<ResponseHead> parse_response_head(std::string_view head);

class ResponseReader {
 public:
  static constexpr size_t kMaxHead = 64 * 1024;

  // Reads the next response head, 1xx included (the caller decides to skip them). Sets
  // *first_byte to when its first byte was at hand. Each receive waits at most `timeout`.
  Task<Result<ResponseHead>> read_head(TcpStream& s, Duration timeout, Deadline* first_byte);
  // Reads the body that `head` announces. Keeps its first `keep` bytes in *kept (if given) and
  // feeds every byte to *verifier (if given). Returns the body's length.
  Task<Result<uint64_t>> read_body(TcpStream& s, const ResponseHead& head, Duration timeout,
                                   std::string* kept, size_t keep, PatternVerifier* verifier);
  // Forgets buffered bytes (a new connection).
  void reset() { pending_.clear(); }

 private:
  Task<Status> fill(TcpStream& s, Duration timeout);
  void deliver(std::string_view piece, std::string* kept, size_t keep, PatternVerifier* verifier);

  std::string pending_;
};

}  // namespace sluice::load
