#include "http/request_parser.h"

#include <charconv>
#include <cstring>

#include "http/llhttp_session.h"

namespace sluice {

struct RequestParser::Impl final : LlhttpSession::Handler {
  using Next = LlhttpSession::Next;

  LlhttpSession session{LlhttpSession::Kind::request, *this};
  ParserLimits limits;
  Request request;
  Event pending = Event::need_more;
  std::span<const char> body;
  bool in_head = false;     // a request has started and its head is not complete
  bool in_message = false;  // between message begin and message complete
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

  Next fail(int status, std::string msg) {
    error_status = status;
    error_message = std::move(msg);
    return Next::fail;
  }

  Next on_message_begin() override {
    request.clear();
    in_head = true;
    in_message = true;
    url_bytes = 0;
    content_length_headers = 0;
    host_headers = 0;
    transfer_encoding.clear();
    return Next::proceed;
  }
  Next on_url(std::string_view part) override {
    url_bytes += part.size();
    if (url_bytes > limits.max_url_bytes)
      return fail(414, "request URL longer than " + std::to_string(limits.max_url_bytes) + " bytes");
    request.target.append(part);
    return Next::proceed;
  }
  Next on_header(std::string name, std::string value) override {
    if (request.headers.size() >= limits.max_headers)
      return fail(431, "more than " + std::to_string(limits.max_headers) + " request headers");
    if (iequals(name, "content-length")) ++content_length_headers;
    if (iequals(name, "host")) ++host_headers;
    if (iequals(name, "transfer-encoding")) {
      if (!transfer_encoding.empty()) transfer_encoding += ",";
      transfer_encoding += value;
    }
    request.headers.emplace_back(std::move(name), std::move(value));
    return Next::proceed;
  }
  Next on_headers_complete() override {
    Request& r = request;
    r.method = session.method();
    r.keep_alive = session.keep_alive();
    r.chunked = session.chunked();
    if (!transfer_encoding.empty()) {
      // Only "chunked" is a coding we can frame; anything else cannot be read safely.
      std::string_view te = transfer_encoding;
      while (!te.empty() && (te.front() == ' ' || te.front() == '\t')) te.remove_prefix(1);
      while (!te.empty() && (te.back() == ' ' || te.back() == '\t')) te.remove_suffix(1);
      if (!iequals(te, "chunked")) return fail(400, "unsupported Transfer-Encoding '" + transfer_encoding + "'");
      if (content_length_headers > 0)
        return fail(400, "both Content-Length and Transfer-Encoding: request smuggling refused");
    }
    if (content_length_headers > 1) return fail(400, "more than one Content-Length header");
    // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one, is answered 400.
    if (host_headers > 1) return fail(400, "more than one Host header");
    if (host_headers == 0 && session.http_major() == 1 && session.http_minor() >= 1)
      return fail(400, "HTTP/1.1 request without a Host header");
    if (!r.chunked) {
      if (std::optional<uint64_t> length = session.content_length()) r.content_length = length;
    }
    std::string_view expect = r.header("expect");
    if (!expect.empty()) {
      if (!iequals(expect, "100-continue")) return fail(417, "unsupported Expect: '" + std::string(expect) + "'");
      r.expect_continue = session.http_major() == 1 && session.http_minor() >= 1;
    }
    in_head = false;
    pending = Event::head_complete;
    return Next::pause;
  }
  Next on_body(std::span<const char> part) override {
    body = part;
    pending = Event::body;
    return Next::pause;
  }
  Next on_message_complete() override {
    in_message = false;
    head_bytes = 0;
    pending = Event::message_complete;
    return Next::pause;
  }
};

RequestParser::RequestParser(ParserLimits limits) : impl_(std::make_unique<Impl>()) { impl_->limits = limits; }

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
  LlhttpSession::Outcome run = s.session.execute(data);
  step.consumed = run.consumed;
  if (run.status == LlhttpSession::Status::upgrade) {
    // Upgrades are not supported: the request was complete; the caller closes afterwards.
    s.request.keep_alive = false;
    s.session.resume_after_upgrade();
  } else if (run.status == LlhttpSession::Status::error) {
    if (s.error_status == 0) {
      s.error_status = 400;
      s.error_message = "malformed request: " + run.error;
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
