#include "http/server_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>

#include "core/log.h"
#include "http/http_server.h"

namespace sluice {

namespace {
bool valid_client_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  return true;
}

// What a browser script may read of a response besides the CORS-safelisted headers.
constexpr std::string_view kCorsExposed =
    "ETag, Location, Upload-Offset, Retry-After, X-Request-Id, Content-Range, Content-Disposition, RateLimit, "
    "RateLimit-Policy, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-RateLimit-Limit, "
    "X-RateLimit-Remaining, X-RateLimit-Reset, Upload-Length, Upload-Expires, Upload-Metadata, Upload-Defer-Length, "
    "Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Sluice-File-Id";
constexpr std::string_view kCorsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kCorsHeaders =
    "Authorization, Content-Type, Content-Length, Content-MD5, Idempotency-Key, If-Match, If-None-Match, "
    "If-Range, Range, Upload-Offset, X-Request-Id, X-Checksum-Sha256, Tus-Resumable, Upload-Length, Upload-Metadata, "
    "Upload-Defer-Length, Upload-Checksum, Upload-Concat, X-HTTP-Method-Override, X-Requested-With";

bool has_header(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}
}  // namespace

ServerConnection::ServerConnection(HttpServer& server, std::unique_ptr<TcpStream> stream,
                                   std::unique_ptr<TlsSession> tls)
    : server_(server), stream_(std::move(stream)), tls_(std::move(tls)), parser_(server.options().parser) {
  stream_->set_recv_window(server.options().recv_window);
}

ServerConnection::~ServerConnection() = default;

void ServerConnection::interrupt(bool force) {
  interrupted_ = true;
  if (idle_ || force) stream_->interrupt_reader();
}

Task<Result<RecvBuffer>> ServerConnection::recv(Deadline d, bool urgent) {
  if (tls_) co_return co_await tls_->recv_buffer(*stream_, d, urgent);
  co_return co_await stream_->recv(d, urgent);
}

// Plain functions handing back the callee's task, not coroutines: a send pays no extra
// coroutine frame for TLS being possible.
Task<Status> ServerConnection::send(std::vector<iovec> pieces, Deadline d) {
  if (tls_) return tls_->send(*stream_, std::move(pieces), d);
  return stream_->send_all(std::move(pieces), d);
}

Task<Status> ServerConnection::send(std::span<const char> data, Deadline d) {
  if (!tls_) return stream_->send_all(data, d);
  std::vector<iovec> one{{const_cast<char*>(data.data()), data.size()}};
  return tls_->send(*stream_, std::move(one), d);
}

Task<void> ServerConnection::run() {
  if (tls_) {
    // The handshake counts against the header timeout: a client that connects and says nothing
    // costs the same whether it speaks TLS or not.
    auto hs = co_await tls_->handshake(*stream_, deadline_after(server_.options().header_timeout));
    if (!hs.ok()) {
      ++server_.stats().tls_handshake_failures;
      log_event(LogLevel::debug, "tls_handshake_failed", {{"reason", hs.error().message}});
      co_await stream_->close();
      co_return;
    }
  }
  bool first = true;
  // Draining, a connection still reads its first request: it was accepted before the listener
  // closed, so its client (often a load balancer) is sending one and has no reason to expect a
  // close; it is answered with Connection: close.
  while (!close_after_ && !interrupted_ && (first || !server_.draining())) {
    idle_ = true;
    // read_head() distinguishes "nothing arrived" (close quietly) from a half-sent head (408).
    auto head = co_await read_head(first);
    first = false;
    if (!head.ok() || !*head) break;
    idle_ = false;
    fresh_ = false;
    co_await serve_request();
  }
  idle_ = false;
  if (close_after_ && !body_done_) co_await lingering_close();
  co_await stream_->close();
}

Task<Result<bool>> ServerConnection::read_head(bool first) {
  const ServerOptions& o = server_.options();
  bool started = !buf_.empty();
  Deadline idle_deadline = deadline_after(first ? o.header_timeout : o.keepalive_timeout);
  Deadline head_deadline = started ? deadline_after(o.header_timeout) : kNoDeadline;
  for (;;) {
    if (buf_.empty()) {
      // The previous body may have ended exactly at this buffer's end: give the spent buffer
      // back before waiting, or every idle keep-alive connection would hold one, and with more
      // connections than ring buffers nobody could receive a new request.
      buf_.release();
      auto r = co_await recv(started ? head_deadline : idle_deadline);
      if (!r.ok()) {
        if (r.error().code == Errc::timeout && started) {
          ++server_.stats().timeouts;
          co_await send_error_and_close(408, "request head not complete within the header timeout");
        }
        co_return false;
      }
      buf_ = std::move(*r);
      if (!started) {
        started = true;
        head_deadline = deadline_after(o.header_timeout);
      }
    }
    auto step = parser_.feed(buf_.bytes());
    buf_.consume(step.consumed);
    if (buf_.empty()) buf_.release();
    if (step.event == RequestParser::Event::error) {
      ++server_.stats().parse_errors;
      co_await send_error_and_close(parser_.error_status(), parser_.error_message());
      co_return false;
    }
    if (step.event == RequestParser::Event::head_complete) co_return true;
  }
}

std::string ServerConnection::next_request_id() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x-%u-%llx", server_.request_id_prefix(), server_.reactor().core(),
                static_cast<unsigned long long>(server_.next_request_number()));
  return buf;
}

Task<void> ServerConnection::serve_request() {
  Request& req = parser_.request();
  ++server_.stats().requests;
  std::string_view client_id = req.header("x-request-id");
  req.request_id = valid_client_request_id(client_id) ? std::string(client_id) : next_request_id();
  head_request_ = req.method == "HEAD";
  body_read_ = 0;
  body_error_.reset();
  continue_sent_ = false;
  response_ = ResponseState::none;
  chunked_response_ = false;
  response_remaining_.reset();
  extra_headers_.clear();
  extra_head_lines_.clear();
  before_response_ = nullptr;
  body_done_ = !req.has_body();
  if (body_done_) {
    auto step = parser_.feed(buf_.bytes());  // moves the parser past the (empty) message end
    buf_.consume(step.consumed);
  }
  if (!req.keep_alive) close_after_ = true;

  std::string_view origin = req.header("origin");
  if (!origin.empty() && req.method == "OPTIONS" && req.has_header("access-control-request-method")) {
    co_await answer_preflight(origin);
    if (!body_done_) close_after_ = true;
    co_return;
  }
  if (!origin.empty() && cors_allows(origin)) {
    extra_headers_.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    extra_headers_.emplace_back("Access-Control-Expose-Headers", std::string(kCorsExposed));
  }
  if (!server_.options().cors_origins.empty()) extra_headers_.emplace_back("Vary", "Origin");

  auto match = server_.router().match(req.method, req.path());
  if (!match.handler) {
    if (match.allow.empty()) {
      (void)co_await respond(Response::error(404, "not_found", "no route for " + std::string(req.path())));
    } else {
      auto r = Response::error(405, "method_not_allowed", "method " + req.method + " not allowed here");
      r.header("Allow", match.allow);
      (void)co_await respond(std::move(r));
    }
  } else {
    req.params = std::move(match.params);
    body_limit_ = match.options->max_body_bytes;
    if (req.content_length && *req.content_length > body_limit_) {
      (void)co_await respond(Response::error(413, "payload_too_large",
                                       "request body of " + std::to_string(*req.content_length) +
                                           " bytes exceeds the limit of " + std::to_string(body_limit_)));
    } else {
      HttpExchange ex(*this);
      co_await (*match.handler)(ex);
      if (response_ == ResponseState::none)
        (void)co_await respond(Response::error(500, "internal", "the handler produced no response"));
      else if (response_ == ResponseState::streaming)
        close_after_ = true;  // a response cut short cannot be followed by another
    }
  }
  if (!body_done_) close_after_ = true;
}

Task<Status> ServerConnection::send_continue_if_needed() {
  Request& req = parser_.request();
  if (!req.expect_continue || continue_sent_ || response_ != ResponseState::none) co_return Status();
  continue_sent_ = true;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  co_return co_await send(std::span<const char>(kContinue.data(), kContinue.size()),
                          deadline_after(server_.options().send_timeout));
}

Task<Result<std::span<const char>>> ServerConnection::read_body() {
  if (body_error_) co_return *body_error_;
  if (body_done_) co_return std::span<const char>();
  if (auto s = co_await send_continue_if_needed(); !s.ok()) {
    body_error_ = s.error();
    co_return s.error();
  }
  for (;;) {
    // Feed even an empty buffer first: the parser may finish the message without more input.
    auto step = parser_.feed(buf_.bytes());
    buf_.consume(step.consumed);
    if (step.event == RequestParser::Event::need_more) {
      if (!buf_.empty()) continue;
      // Give the spent buffer back before waiting for the next: with more connections than
      // ring buffers, connections that each keep a spent buffer while waiting for a new one
      // would hold the whole ring and wait on each other forever.
      buf_.release();
      auto r = co_await recv(deadline_after(server_.options().body_idle_timeout), /*urgent=*/true);
      if (!r.ok()) {
        Error e = std::move(r).error();
        if (e.code == Errc::timeout) {
          ++server_.stats().timeouts;
          e.message = "no request body bytes received within the body idle timeout";
        } else if (e.code == Errc::closed) {
          e.message = "client closed the connection before the request body was complete";
        }
        body_error_ = e;
        close_after_ = true;
        co_return e;
      }
      buf_ = std::move(*r);
      continue;
    }
    switch (step.event) {
      case RequestParser::Event::body:
        body_read_ += step.body.size();
        if (body_read_ > body_limit_) {
          body_error_ = Error(Errc::limit_exceeded,
                              "request body exceeds the limit of " + std::to_string(body_limit_) + " bytes");
          close_after_ = true;
          co_return *body_error_;
        }
        co_return step.body;
      case RequestParser::Event::message_complete:
        body_done_ = true;
        co_return std::span<const char>();
      case RequestParser::Event::error:
        body_error_ = Error(Errc::invalid_argument, parser_.error_message());
        close_after_ = true;
        co_return *body_error_;
      case RequestParser::Event::head_complete:  // cannot happen inside a body
        body_error_ = Error(Errc::internal, "parser reported a head inside a body");
        close_after_ = true;
        co_return *body_error_;
      case RequestParser::Event::need_more:
        break;
    }
  }
}

std::string ServerConnection::response_head(int status,
                                            const std::vector<std::pair<std::string, std::string>>& headers,
                                            std::optional<uint64_t> length) {
  if (!body_done_ || server_.draining() || interrupted_) close_after_ = true;
  std::string h;
  h.reserve(384 + extra_head_lines_.size());
  h += "HTTP/1.1 ";
  h += std::to_string(status);
  h += ' ';
  h += status_reason(status);
  h += "\r\n";
  for (const auto& [k, v] : headers) {
    h += k;
    h += ": ";
    h += v;
    h += "\r\n";
  }
  for (const auto& [k, v] : extra_headers_) {
    if (has_header(headers, k)) continue;  // the handler's own value wins
    h += k;
    h += ": ";
    h += v;
    h += "\r\n";
  }
  h += extra_head_lines_;
  if (!has_header(headers, "X-Content-Type-Options")) h += "X-Content-Type-Options: nosniff\r\n";
  if (uint64_t hsts = server_.options().hsts_max_age_seconds) {
    h += "Strict-Transport-Security: max-age=";
    h += std::to_string(hsts);
    h += "; includeSubDomains\r\n";
  }
  if (status != 204 && status != 304 && status >= 200) {
    if (length) {
      h += "Content-Length: ";
      h += std::to_string(*length);
      h += "\r\n";
    } else {
      h += "Transfer-Encoding: chunked\r\n";
    }
  }
  h += "Date: ";
  h += server_.http_date();
  h += "\r\nX-Request-Id: ";
  h += parser_.request().request_id;
  h += "\r\n";
  if (close_after_) h += "Connection: close\r\n";
  h += "\r\n";
  HttpServerStats& st = server_.stats();
  if (status < 300) ++st.responses_2xx;
  else if (status < 500) ++st.responses_4xx;
  else ++st.responses_5xx;
  return h;
}

Task<void> ServerConnection::run_before_response(int status) {
  if (!before_response_) co_return;
  HttpExchange::ResponseHook hook = std::move(before_response_);
  before_response_ = nullptr;
  co_await hook(status);
}

Task<Status> ServerConnection::respond(Response r) {
  if (response_ != ResponseState::none) co_return Error(Errc::internal, "response already started");
  response_ = ResponseState::done;
  co_await run_before_response(r.status);
  std::string head = response_head(r.status, r.headers, r.body.size());
  std::vector<iovec> iov;
  iov.push_back({head.data(), head.size()});
  if (!head_request_ && !r.body.empty()) iov.push_back({r.body.data(), r.body.size()});
  auto s = co_await send(std::move(iov), deadline_after(server_.options().send_timeout));
  if (!s.ok()) close_after_ = true;
  co_return s;
}

Task<Status> ServerConnection::begin(int status, std::vector<std::pair<std::string, std::string>> headers,
                                     std::optional<uint64_t> length) {
  if (response_ != ResponseState::none) co_return Error(Errc::internal, "response already started");
  response_ = ResponseState::streaming;
  co_await run_before_response(status);
  chunked_response_ = !length.has_value();
  response_remaining_ = length;
  std::string head = response_head(status, headers, length);
  auto s = co_await send(std::span<const char>(head.data(), head.size()),
                         deadline_after(server_.options().send_timeout));
  if (!s.ok()) close_after_ = true;
  co_return s;
}

Task<Status> ServerConnection::write(std::span<const char> data) {
  if (response_ != ResponseState::streaming) co_return Error(Errc::internal, "write() outside a streamed response");
  if (data.empty() || head_request_) co_return Status();
  Deadline d = deadline_after(server_.options().send_timeout);
  Status s;
  if (chunked_response_) {
    char size_line[24];
    int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
    std::vector<iovec> iov{{size_line, static_cast<size_t>(n)},
                           {const_cast<char*>(data.data()), data.size()},
                           {const_cast<char*>("\r\n"), 2}};
    s = co_await send(std::move(iov), d);
  } else {
    if (data.size() > *response_remaining_) co_return Error(Errc::internal, "response body longer than declared");
    *response_remaining_ -= data.size();
    s = co_await send(data, d);
  }
  if (!s.ok()) close_after_ = true;
  co_return s;
}

Task<Status> ServerConnection::end() {
  if (response_ != ResponseState::streaming) co_return Error(Errc::internal, "end() outside a streamed response");
  if (chunked_response_ && !head_request_) {
    static constexpr std::string_view kLast = "0\r\n\r\n";
    auto s = co_await send(std::span<const char>(kLast.data(), kLast.size()),
                           deadline_after(server_.options().send_timeout));
    if (!s.ok()) {
      close_after_ = true;
      co_return s;
    }
  } else if (!head_request_ && response_remaining_ && *response_remaining_ != 0) {
    close_after_ = true;
    co_return Error(Errc::internal, "response body shorter than declared");
  }
  response_ = ResponseState::done;
  co_return Status();
}

Task<void> ServerConnection::send_error_and_close(int status, std::string message) {
  close_after_ = true;
  if (response_ != ResponseState::none) co_return;
  log_event(LogLevel::debug, "http_request_refused", {{"status", status}, {"reason", message}});
  (void)co_await respond(Response::error(status, default_error_code(status), message));
}

Task<void> ServerConnection::lingering_close() {
  // Closing with unread request bytes would make the kernel send RST, which can destroy the
  // response we just sent. Half-close, then discard what the client still sends, bounded.
  stream_->shutdown_write();
  uint64_t discarded = 0;
  Deadline d = deadline_after(server_.options().lingering_close_time);
  buf_.release();
  while (discarded < server_.options().lingering_close_bytes) {
    auto r = co_await recv(d);
    if (!r.ok()) break;
    discarded += r->size();
  }
}

// ---- HttpExchange: the handler's view, forwarding to the connection ----

Request& HttpExchange::request() { return c_.parser_.request(); }
Reactor& HttpExchange::reactor() { return c_.server_.reactor(); }
std::string HttpExchange::client_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(c_.stream_->fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = nullptr;
  if (ss.ss_family == AF_INET) addr = &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr;
  else if (ss.ss_family == AF_INET6) addr = &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
  if (!addr || !::inet_ntop(ss.ss_family, addr, text, sizeof text)) return {};
  return text;
}
Task<Result<std::span<const char>>> HttpExchange::read_body() { return c_.read_body(); }
bool HttpExchange::body_complete() const { return c_.body_done_; }
uint64_t HttpExchange::body_bytes_read() const { return c_.body_read_; }
void HttpExchange::set_body_limit(uint64_t bytes) { c_.body_limit_ = bytes; }
Task<Status> HttpExchange::respond(Response r) { return c_.respond(std::move(r)); }
Task<Status> HttpExchange::begin(int status, std::vector<std::pair<std::string, std::string>> headers,
                                 std::optional<uint64_t> length) {
  return c_.begin(status, std::move(headers), length);
}
Task<Status> HttpExchange::write(std::span<const char> data) { return c_.write(data); }
Task<Status> HttpExchange::end() { return c_.end(); }
bool HttpExchange::responded() const { return c_.response_ != ServerConnection::ResponseState::none; }
void HttpExchange::before_response(ResponseHook hook) { c_.before_response_ = std::move(hook); }
void HttpExchange::close_after() { c_.close_after_ = true; }
void HttpExchange::add_response_header(std::string name, std::string value) {
  c_.extra_headers_.emplace_back(std::move(name), std::move(value));
}
void HttpExchange::add_response_head_lines(std::string_view lines) { c_.extra_head_lines_ += lines; }
const std::string& HttpExchange::peer_ip() { return c_.peer_ip(); }

bool ServerConnection::cors_allows(std::string_view origin) const {
  for (const auto& o : server_.options().cors_origins)
    if (o == "*" || o == origin) return true;
  return false;
}

// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method), answered before
// routing: 204 with the methods and headers a browser may use, or 403 for an origin not allowed.
Task<void> ServerConnection::answer_preflight(std::string_view origin) {
  if (!cors_allows(origin)) {
    (void)co_await respond(Response::error(403, "cors_origin_refused", "this origin may not call the API"));
    co_return;
  }
  Request& req = parser_.request();
  Response r;
  r.status = 204;
  r.header("Access-Control-Allow-Origin", std::string(origin));
  r.header("Access-Control-Allow-Methods", std::string(kCorsMethods));
  std::string_view asked = req.header("access-control-request-headers");
  r.header("Access-Control-Allow-Headers", asked.empty() ? std::string(kCorsHeaders) : std::string(asked));
  r.header("Access-Control-Max-Age", std::to_string(server_.options().cors_max_age_seconds));
  r.header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  (void)co_await respond(std::move(r));
}

const std::string& ServerConnection::peer_ip() {
  if (!peer_ip_) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char text[INET6_ADDRSTRLEN] = "";
    if (::getpeername(stream_->fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      if (ss.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
      else if (ss.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
    }
    peer_ip_ = std::string(text);
  }
  return *peer_ip_;
}

int status_for_body_error(const Error& e) {
  switch (e.code) {
    case Errc::timeout: return 408;
    case Errc::limit_exceeded: return 413;
    case Errc::invalid_argument:
    case Errc::protocol_error: return 400;
    default: return 0;
  }
}

}  // namespace sluice
