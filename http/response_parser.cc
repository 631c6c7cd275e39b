#include "http/response_parser.h"

#include "http/llhttp_session.h"
#include "http/request.h"

namespace sluice {

std::string_view ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

struct ResponseParser::Impl final : LlhttpSession::Handler {
  using Next = LlhttpSession::Next;

  LlhttpSession session{LlhttpSession::Kind::response, *this};
  ResponseParserLimits limits;
  ResponseHead head;
  Event pending = Event::need_more;
  // A HEAD response completes in the same callback run as its head: the completion is
  // reported on the following feed().
  bool deferred_complete = false;
  bool head_request = false;
  bool interim = false;  // a 1xx response, skipped
  bool in_head = true;
  std::span<const char> body;
  size_t head_bytes = 0;
  size_t content_length_headers = 0;
  std::string error_message;

  Next fail(std::string msg) {
    error_message = std::move(msg);
    return Next::fail;
  }

  Next on_message_begin() override {
    head = ResponseHead{};
    in_head = true;
    interim = false;
    content_length_headers = 0;
    return Next::proceed;
  }
  Next on_header(std::string name, std::string value) override {
    if (head.headers.size() >= limits.max_headers)
      return fail("response has more than " + std::to_string(limits.max_headers) + " headers");
    if (iequals(name, "content-length")) ++content_length_headers;
    head.headers.emplace_back(std::move(name), std::move(value));
    return Next::proceed;
  }
  Next on_headers_complete() override {
    int status = session.status_code();
    if (status >= 100 && status < 200) {
      if (status == 101) return fail("unexpected 101 Switching Protocols");
      interim = true;  // 100 Continue and friends carry no body; the real answer follows
      return Next::proceed;
    }
    if (content_length_headers > 1) return fail("response has more than one Content-Length header");
    head.status = status;
    head.chunked = session.chunked();
    if (!head.chunked) {
      if (std::optional<uint64_t> length = session.content_length()) head.content_length = length;
    }
    head.keep_alive = session.keep_alive();
    in_head = false;
    pending = Event::head_complete;
    if (head_request) return Next::no_body;  // whatever Content-Length says
    return Next::pause;
  }
  Next on_body(std::span<const char> part) override {
    // llhttp reports an empty span when an execute() ends where a body span was open.
    if (part.empty()) return Next::proceed;
    body = part;
    pending = Event::body;
    return Next::pause;
  }
  Next on_message_complete() override {
    if (interim) {
      interim = false;
      return Next::proceed;
    }
    head.keep_alive = head.keep_alive && session.keep_alive();
    if (pending == Event::head_complete) {
      deferred_complete = true;
    } else {
      pending = Event::message_complete;
    }
    return Next::pause;
  }
};

ResponseParser::ResponseParser(ResponseParserLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
}

ResponseParser::~ResponseParser() = default;

void ResponseParser::expect_response_to(std::string_view method) {
  impl_->head_request = method == "HEAD";
  impl_->head_bytes = 0;
}

ResponseParser::Step ResponseParser::feed(std::span<const char> data) {
  Impl& s = *impl_;
  Step step;
  if (!s.error_message.empty()) {
    step.event = Event::error;
    return step;
  }
  if (s.deferred_complete) {
    s.deferred_complete = false;
    step.event = Event::message_complete;
    return step;
  }
  s.pending = Event::need_more;
  bool was_head = s.in_head;
  // Empty input still lets llhttp finish a message that needs no more bytes (a 204, or
  // Content-Length: 0 after the head pause).
  LlhttpSession::Outcome run = s.session.execute(data);
  step.consumed = run.consumed;
  if (run.status == LlhttpSession::Status::error || run.status == LlhttpSession::Status::upgrade) {
    if (s.error_message.empty()) s.error_message = "malformed HTTP response: " + run.error;
    step.event = Event::error;
    return step;
  }
  if (was_head) {
    s.head_bytes += step.consumed;
    if (s.head_bytes > s.limits.max_head_bytes && (s.in_head || s.pending == Event::head_complete)) {
      s.error_message = "response head larger than " + std::to_string(s.limits.max_head_bytes) + " bytes";
      step.event = Event::error;
      return step;
    }
  }
  step.event = s.pending;
  if (step.event == Event::body) step.body = s.body;
  return step;
}

ResponseParser::Step ResponseParser::finish() {
  Impl& s = *impl_;
  Step step;
  if (s.error_message.empty()) {
    s.pending = Event::need_more;
    bool ended = s.session.finish();
    if (ended && s.pending == Event::message_complete) {
      s.head.keep_alive = false;
      step.event = Event::message_complete;
      return step;
    }
    s.error_message = s.in_head ? "connection closed before a complete response head"
                                : "connection closed in the middle of the response body";
  }
  step.event = Event::error;
  return step;
}

const ResponseHead& ResponseParser::head() const { return impl_->head; }
const std::string& ResponseParser::error_message() const { return impl_->error_message; }

}  // namespace sluice
