#include "http/request_parser.h"

#include <llhttp.h>

#include <charconv>
#include <cstring>

namespace sluice {

struct RequestParser::Impl {
  llhttp_t parser{};
  llhttp_settings_t settings{};
  ParserLimits limits;
  Request request;
  Event pending = Event::need_more;
  std::span<const char> body;
  std::string field;
  std::string value;
  bool in_value = false;
  bool in_head = false;      // a request has started and its head is not complete
  bool in_message = false;   // between message begin and message complete
  size_t head_bytes = 0;
  size_t url_bytes = 0;
  int error_status = 0;
  std::string error_message;
  size_t content_length_headers = 0;
  size_t host_headers = 0;
  std::string transfer_encoding;
  // The last head byte seen was a LF: a SP or HTAB next starts a continuation line
  // (obs-fold), which llhttp 8 accepts silently and RFC 9112 §5.2 lets a server refuse. We
  // refuse it: parsers disagree on folded lines, which makes them a smuggling vector.
  bool head_line_start = false;

  // Looks for obs-fold in head bytes llhttp has consumed; the state carries across inputs.
  bool has_obs_fold(std::span<const char> head) {
    const char* p = head.data();
    const char* end = p + head.size();
    if (p != end && head_line_start && (*p == ' ' || *p == '\t')) return true;
    while (p != end) {
      const char* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (lf == nullptr) {
        head_line_start = false;
        return false;
      }
      p = lf + 1;
      if (p == end) {
        head_line_start = true;
        return false;
      }
      if (*p == ' ' || *p == '\t') return true;
    }
    return false;
  }

  int fail(int status, std::string msg) {
    error_status = status;
    error_message = std::move(msg);
    return -1;
  }

  static Impl& of(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

  int commit_header() {
    if (field.empty() && !in_value) return 0;
    if (request.headers.size() >= limits.max_headers)
      return fail(431, "more than " + std::to_string(limits.max_headers) + " request headers");
    if (iequals(field, "content-length")) ++content_length_headers;
    if (iequals(field, "host")) ++host_headers;
    if (iequals(field, "transfer-encoding")) {
      if (!transfer_encoding.empty()) transfer_encoding += ",";
      transfer_encoding += value;
    }
    request.headers.emplace_back(std::move(field), std::move(value));
    field.clear();
    value.clear();
    in_value = false;
    return 0;
  }

  static int on_message_begin(llhttp_t* p) {
    Impl& s = of(p);
    s.request.clear();
    s.in_head = true;
    s.in_message = true;
    s.url_bytes = 0;
    s.content_length_headers = 0;
    s.host_headers = 0;
    s.transfer_encoding.clear();
    s.field.clear();
    s.value.clear();
    s.in_value = false;
    return 0;
  }
  static int on_url(llhttp_t* p, const char* at, size_t len) {
    Impl& s = of(p);
    s.url_bytes += len;
    if (s.url_bytes > s.limits.max_url_bytes)
      return s.fail(414, "request URL longer than " + std::to_string(s.limits.max_url_bytes) + " bytes");
    s.request.target.append(at, len);
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
    Request& r = s.request;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    r.keep_alive = llhttp_should_keep_alive(p) != 0;
    r.chunked = (p->flags & F_CHUNKED) != 0;
    if (!s.transfer_encoding.empty()) {
      // Only "chunked" is a coding we can frame; anything else cannot be read safely.
      std::string_view te = s.transfer_encoding;
      while (!te.empty() && (te.front() == ' ' || te.front() == '\t')) te.remove_prefix(1);
      while (!te.empty() && (te.back() == ' ' || te.back() == '\t')) te.remove_suffix(1);
      if (!iequals(te, "chunked")) return s.fail(400, "unsupported Transfer-Encoding '" + s.transfer_encoding + "'");
      if (s.content_length_headers > 0)
        return s.fail(400, "both Content-Length and Transfer-Encoding: request smuggling refused");
    }
    if (s.content_length_headers > 1)
      return s.fail(400, "more than one Content-Length header");
    // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one, is answered 400.
    if (s.host_headers > 1) return s.fail(400, "more than one Host header");
    if (s.host_headers == 0 && p->http_major == 1 && p->http_minor >= 1)
      return s.fail(400, "HTTP/1.1 request without a Host header");
    if ((p->flags & F_CONTENT_LENGTH) != 0 && !r.chunked) r.content_length = p->content_length;
    std::string_view expect = r.header("expect");
    if (!expect.empty()) {
      if (!iequals(expect, "100-continue")) return s.fail(417, "unsupported Expect: '" + std::string(expect) + "'");
      r.expect_continue = p->http_major == 1 && p->http_minor >= 1;
    }
    s.in_head = false;
    s.pending = Event::head_complete;
    return HPE_PAUSED;
  }
  static int on_body(llhttp_t* p, const char* at, size_t len) {
    Impl& s = of(p);
    s.body = std::span<const char>(at, len);
    s.pending = Event::body;
    return HPE_PAUSED;
  }
  static int on_message_complete(llhttp_t* p) {
    Impl& s = of(p);
    s.in_message = false;
    s.head_bytes = 0;
    s.pending = Event::message_complete;
    return HPE_PAUSED;
  }
};

RequestParser::RequestParser(ParserLimits limits) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.limits = limits;
  llhttp_settings_init(&s.settings);
  s.settings.on_message_begin = &Impl::on_message_begin;
  s.settings.on_url = &Impl::on_url;
  s.settings.on_header_field = &Impl::on_header_field;
  s.settings.on_header_value = &Impl::on_header_value;
  s.settings.on_headers_complete = &Impl::on_headers_complete;
  s.settings.on_body = &Impl::on_body;
  s.settings.on_message_complete = &Impl::on_message_complete;
  llhttp_init(&s.parser, HTTP_REQUEST, &s.settings);
  s.parser.data = &s;
}

RequestParser::~RequestParser() = default;

RequestParser::Step RequestParser::feed(std::span<const char> data) {
  Impl& s = *impl_;
  Step step;
  if (s.error_status != 0) {
    step.event = Event::error;
    return step;
  }
  s.pending = Event::need_more;
  bool was_head = s.in_head || !s.in_message;
  // llhttp computes data + len: with an empty span's null pointer that is undefined (UBSan).
  static constexpr char kNoBytes[1] = {};
  if (data.data() == nullptr) data = std::span<const char>(kNoBytes, 0);
  llhttp_errno_t err = llhttp_execute(&s.parser, data.data(), data.size());
  if (err == HPE_OK) {
    step.consumed = data.size();
  } else if (err == HPE_PAUSED) {
    step.consumed = static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data.data());
    llhttp_resume(&s.parser);
  } else if (err == HPE_PAUSED_UPGRADE) {
    // Upgrades are not supported: the request was complete; the caller closes afterwards.
    step.consumed = static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data.data());
    s.request.keep_alive = false;
    llhttp_resume_after_upgrade(&s.parser);
  } else {
    if (s.error_status == 0) {
      s.error_status = 400;
      s.error_message = std::string("malformed request: ") + llhttp_errno_name(err) + " (" +
                        (s.parser.reason ? s.parser.reason : "") + ")";
    }
    step.event = Event::error;
    return step;
  }
  if (was_head) {
    // On head_complete the consumed bytes end exactly at the head's last LF.
    if (s.has_obs_fold(data.first(step.consumed))) {
      s.error_status = 400;
      s.error_message = "malformed request: obsolete line folding (a header line starts with a space or tab)";
      step.event = Event::error;
      return step;
    }
    if (s.pending == Event::head_complete) s.head_line_start = false;
    s.head_bytes += step.consumed;
    if (s.head_bytes > s.limits.max_head_bytes && (s.in_head || s.pending == Event::head_complete)) {
      s.error_status = 431;
      s.error_message = "request head larger than " + std::to_string(s.limits.max_head_bytes) + " bytes";
      step.event = Event::error;
      return step;
    }
  }
  step.event = s.pending;
  if (step.event == Event::body) {
    step.body = s.body;
    // llhttp closes a span at the end of every input, even an empty one; an empty body span
    // must not reach a reader, which would take it for the end of the body.
    if (step.body.empty()) step.event = Event::need_more;
  }
  return step;
}

Request& RequestParser::request() { return impl_->request; }
int RequestParser::error_status() const { return impl_->error_status; }
const std::string& RequestParser::error_message() const { return impl_->error_message; }
bool RequestParser::between_messages() const { return !impl_->in_message; }
size_t RequestParser::head_bytes() const { return impl_->head_bytes; }

}  // namespace sluice
