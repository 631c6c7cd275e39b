// RequestParser: incremental HTTP/1.1 request parsing (llhttp, strict mode) that stops at each
// event the server acts on: head complete, each body span, message complete. Body spans point
// into the caller's input, so body bytes are never copied. Enforces the head-size limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "http/request.h"

namespace sluice {

struct ParserLimits {
  size_t max_head_bytes = 16 * 1024;  // request line + headers -> 431
  size_t max_url_bytes = 8 * 1024;    // -> 414
  size_t max_headers = 100;           // -> 431
};

class RequestParser {
 public:
  enum class Event { need_more, head_complete, body, message_complete, error };
  struct Step {
    Event event = Event::need_more;
    size_t consumed = 0;               // bytes of the input used up to this event
    std::span<const char> body;        // for Event::body
  };

  explicit RequestParser(ParserLimits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from the start of `data` up to the next event. Call again with the rest.
  Step feed(std::span<const char> data);
  // The request's head; valid from head_complete until the next message starts.
  Request& request();
  // After Event::error: the HTTP status to answer (400, 413, 414, 431) and why.
  int error_status() const;
  const std::string& error_message() const;
  // True while no byte of the next request has been seen (a clean place to close).
  bool between_messages() const;
  // Bytes of the current head seen so far (for the header-phase limit).
  size_t head_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
