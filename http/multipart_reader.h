// MultipartReader: a pull-style, zero-copy streaming parser for multipart/form-data request bodies
// (RFC 7578 / RFC 2046), fed in arbitrary pieces so file data can be streamed out as it arrives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::http {

// Extracts and validates the boundary parameter (quoted or not, 1..70 RFC 2046 bchars) from a
// "multipart/form-data; boundary=..." Content-Type header value.
[[nodiscard]] Result<std::string> parse_boundary(std::string_view content_type);

// Limits on what a client may make the reader hold or count; exceeding one is Errc::limit_exceeded
// with a message naming the limit. Field and file sizes are the consumer's to enforce: compare
// MultipartReader::part_bytes() against its own limit on each data event.
struct MultipartLimits {
  std::size_t max_parts = 100;
  std::size_t max_header_block_bytes = 8 * 1024;  // one part's header lines, excluding the blank line
  std::size_t max_headers_per_part = 16;
};

struct MultipartHeader {
  std::string name;  // as sent
  std::string value;  // trimmed of surrounding whitespace
};

// One part's headers. The strings are the client's bytes, unsanitized: a filename may hold "..",
// slashes, or any UTF-8 (or invalid UTF-8); it is data, never a path.
struct MultipartPart {
  std::string name;  // Content-Disposition name (required by RFC 7578)
  // Present (possibly empty, as browsers send for "no file chosen") when the part is a file.
  // filename*=UTF-8''... (RFC 8187) wins over filename=. Backslash escapes only \" and \\ so
  // Windows paths survive; %22 (HTML5's escaping of ") is left as is.
  std::optional<std::string> filename;
  std::string content_type;  // empty when absent; RFC 7578 says treat that as text/plain
  std::vector<MultipartHeader> headers;  // all headers, in order
};

struct MultipartEvent {
  enum class Kind : std::uint8_t {
    need_more,   // input consumed: feed() the next piece, or finish() if there is none
    part_begin,  // MultipartReader::part() holds the new part's headers
    data,        // `data` holds part content
    part_end,    // the part was closed by a well-formed delimiter line
    done,        // the closing --boundary-- was seen; the epilogue is ignored
  };
  Kind kind = Kind::need_more;
  // For Kind::data: points into the buffer given to feed(), or for at most boundary+4 bytes held
  // back across a piece edge, into the reader. Valid until the next call to next() or feed().
  std::span<const char> data;
};

// Usage: feed(piece); loop { ev = next(); ... } until need_more, then feed the next piece (the
// piece must stay alive and unchanged until then); call finish() at end of body. A data event can
// be processed asynchronously: nothing is read until next() is called again, which is the
// backpressure. Errors are sticky; malformed input gives Errc::invalid_argument.
class MultipartReader {
 public:
  static constexpr std::size_t kMaxBoundary = 70;

  // `boundary` as returned by parse_boundary(); an invalid one makes next() fail.
  explicit MultipartReader(std::string_view boundary, MultipartLimits limits = {});

  // Precondition: the previous piece was consumed (next() returned need_more), finish() not called.
  // Takes std::string, std::string_view, std::vector<char>... (anything contiguous).
  void feed(std::span<const char> piece);
  // A string literal would include its NUL; pass std::string_view("...") instead.
  template <std::size_t N>
  void feed(const char (&)[N]) = delete;
  // Marks the end of the body; next() then reports an error if the closing delimiter is missing.
  void finish();

  [[nodiscard]] Result<MultipartEvent> next();

  // The current part's headers: valid from its part_begin until the next part_begin.
  const MultipartPart& part() const { return part_; }
  // Number of parts begun so far (the current part is part_count() - 1, zero-based).
  std::size_t part_count() const { return parts_; }
  // Content bytes delivered for the current part so far, for the consumer's size limits.
  std::uint64_t part_bytes() const { return part_bytes_; }

 private:
  enum class State : std::uint8_t {
    preamble,        // before the first delimiter: discarded
    after_boundary,  // just after "--boundary": expect "--" or padding then CRLF
    close_dash,      // seen one '-' after the boundary
    padding,         // seen transport padding (SP / HTAB) after the boundary
    boundary_cr,     // seen CR after the boundary, expect LF
    headers,         // accumulating one part's header block
    body,            // part content
    epilogue,        // after the close delimiter: discarded
    failed,
  };

  // A handler's outcome: an event to return, nothing (keep going), or an error.
  using Step = Result<std::optional<MultipartEvent>>;

  Step scan(bool deliver);
  Step after_boundary();
  Step read_headers();
  Status parse_headers(std::string_view block);
  Step end_of_input();
  Error fail(Errc code, std::string message);
  MultipartEvent emit_data(const char* begin, std::size_t size);
  bool input_left() const { return pos_ < size_; }

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
  State state_ = State::preamble;
  bool finished_ = false;
  bool in_part_ = false;  // a part was begun and its delimiter not yet validated

  const char* in_ = nullptr;  // current piece: [in_ + pos_, in_ + size_) is unread
  std::size_t size_ = 0;
  std::size_t pos_ = 0;

  // Bytes at the end of earlier pieces that are a prefix of delimiter_ (always starting with
  // '\r'; since the delimiter holds no other '\r', a mismatch makes all of them content).
  std::array<char, kMaxBoundary + 4> carry_{};
  std::size_t carry_size_ = 0;

  std::string header_block_;
  MultipartPart part_;
  std::size_t parts_ = 0;
  std::uint64_t part_bytes_ = 0;
  std::optional<Error> error_;
};

}  // namespace sluice::http
