#include "http/response_parser.h"

#include <llhttp.h>

#include "http/request.h"

namespace sluice {

std::string_view ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

struct ResponseParser::Impl {
  llhttp_t parser{};
  llhttp_settings_t settings{};
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
  std::string field;
  std::string value;
  bool in_value = false;
  size_t head_bytes = 0;
  size_t content_length_headers = 0;
  std::string error_message;

  static Impl& of(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

  int fail(std::string msg) {
    error_message = std::move(msg);
    return -1;
  }

  int commit_header() {
    if (field.empty() && !in_value) return 0;
    if (head.headers.size() >= limits.max_headers)
      return fail("response has more than " + std::to_string(limits.max_headers) + " headers");
    if (iequals(field, "content-length")) ++content_length_headers;
    head.headers.emplace_back(std::move(field), std::move(value));
    field.clear();
    value.clear();
    in_value = false;
    return 0;
  }

  static int on_message_begin(llhttp_t* p) {
    Impl& s = of(p);
    s.head = ResponseHead{};
    s.field.clear();
    s.value.clear();
    s.in_value = false;
    s.in_head = true;
    s.interim = false;
    s.content_length_headers = 0;
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, size_t len) {
    Impl& s = of(p);
    if (s.in_value && s.commit_header() != 0) return -1;
    s.field.append(at, len);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, size_t len) {
    Impl& s = of(p);
    s.in_value = true;
    s.value.append(at, len);
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    Impl& s = of(p);
    if (s.commit_header() != 0) return -1;
    int status = p->status_code;
    if (status >= 100 && status < 200) {
      if (status == 101) return s.fail("unexpected 101 Switching Protocols");
      s.interim = true;  // 100 Continue and friends carry no body; the real answer follows
      return 0;
    }
    if (s.content_length_headers > 1) return s.fail("response has more than one Content-Length header");
    s.head.status = status;
    s.head.chunked = (p->flags & F_CHUNKED) != 0;
    if ((p->flags & F_CONTENT_LENGTH) != 0 && !s.head.chunked) s.head.content_length = p->content_length;
    s.head.keep_alive = llhttp_should_keep_alive(p) != 0;
    s.in_head = false;
    s.pending = Event::head_complete;
    if (s.head_request) return 1;  // no body follows, whatever Content-Length says
    return HPE_PAUSED;
  }
  static int on_body(llhttp_t* p, const char* at, size_t len) {
    Impl& s = of(p);
    // llhttp reports an empty span when an execute() ends where a body span was open.
    if (len == 0) return 0;
    s.body = std::span<const char>(at, len);
    s.pending = Event::body;
    return HPE_PAUSED;
  }
  static int on_message_complete(llhttp_t* p) {
    Impl& s = of(p);
    if (s.interim) {
      s.interim = false;
      return 0;
    }
    s.head.keep_alive = s.head.keep_alive && llhttp_should_keep_alive(p) != 0;
    if (s.pending == Event::head_complete) {
      s.deferred_complete = true;
    } else {
      s.pending = Event::message_complete;
    }
    return HPE_PAUSED;
  }
};

ResponseParser::ResponseParser(ResponseParserLimits limits) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.limits = limits;
  llhttp_settings_init(&s.settings);
  s.settings.on_message_begin = &Impl::on_message_begin;
  s.settings.on_header_field = &Impl::on_header_field;
  s.settings.on_header_value = &Impl::on_header_value;
  s.settings.on_headers_complete = &Impl::on_headers_complete;
  s.settings.on_body = &Impl::on_body;
  s.settings.on_message_complete = &Impl::on_message_complete;
  llhttp_init(&s.parser, HTTP_RESPONSE, &s.settings);
  s.parser.data = &s;
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
  // Empty input still lets llhttp finish a message that needs no more bytes (a 204, or
  // Content-Length: 0 after the head pause); it wants a valid pointer even then.
  static const char kNothing = 0;
  if (data.empty()) data = std::span<const char>(&kNothing, 0);
  s.pending = Event::need_more;
  bool was_head = s.in_head;
  llhttp_errno_t err = llhttp_execute(&s.parser, data.data(), data.size());
  if (err == HPE_OK) {
    step.consumed = data.size();
  } else if (err == HPE_PAUSED) {
    step.consumed = static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data.data());
    llhttp_resume(&s.parser);
  } else {
    if (s.error_message.empty()) {
      s.error_message = std::string("malformed HTTP response: ") + llhttp_errno_name(err) + " (" +
                        (s.parser.reason ? s.parser.reason : "") + ")";
    }
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
    llhttp_errno_t err = llhttp_finish(&s.parser);
    if ((err == HPE_OK || err == HPE_PAUSED) && s.pending == Event::message_complete) {
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
