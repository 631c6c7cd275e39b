// ResponseParser: incremental HTTP/1.1 response parsing (llhttp) for the client side, stopping
// at each event the client acts on: head complete, each body span, message complete. Body
// spans point into the caller's input (never copied). Bounds the head's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// The head of one HTTP response.
struct ResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;

  // First header with this name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
};

struct ResponseParserLimits {
  size_t max_head_bytes = 64 * 1024;
  size_t max_headers = 200;
};

class ResponseParser {
 public:
  enum class Event { need_more, head_complete, body, message_complete, error };
  struct Step {
    Event event = Event::need_more;
    size_t consumed = 0;         // bytes of the input used up to this event
    std::span<const char> body;  // for Event::body
  };

  explicit ResponseParser(ResponseParserLimits limits = {});
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Prepares for the response to a request with this method: a HEAD response has no body
  // whatever its Content-Length says.
  void expect_response_to(std::string_view method);
  // Parses from the start of `data` up to the next event; call again with the rest.
  // Interim 1xx responses are skipped.
  Step feed(std::span<const char> data);
  // The peer closed the connection: completes a body delimited by end of stream
  // (message_complete) or reports a truncated message (error).
  Step finish();
  const ResponseHead& head() const;
  const std::string& error_message() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
