#include "http/client_connection.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace sluice {

ClientConnection::ClientConnection(std::unique_ptr<TcpStream> stream, ClientConnectionOptions options)
    : stream_(std::move(stream)), options_(options), parser_(options.limits) {
  // io_uring passes EAGAIN straight back for O_NONBLOCK sockets instead of waiting for room,
  // and TcpStream::send_all treats it as a failure: a body larger than the socket buffer
  // failed with "sendmsg: Resource temporarily unavailable". A blocking socket makes io_uring
  // arm its internal poll; every wait still has a deadline (linked timeouts).
  int flags = ::fcntl(stream_->fd(), F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) ::fcntl(stream_->fd(), F_SETFL, flags & ~O_NONBLOCK);
}

ClientConnection::~ClientConnection() = default;

Task<Result<std::unique_ptr<ClientConnection>>> ClientConnection::connect(Reactor& r, SocketAddress addr, Deadline d,
                                                                          ClientConnectionOptions options) {
  auto s = co_await TcpStream::connect(r, addr, d);
  if (!s) co_return std::move(s).error();
  // Upstream replies (S3) must stay readable even when client uploads hold every buffer of the
  // core's ring: they are what those uploads wait for.
  (*s)->use_private_buffer(32 * 1024);
  auto c = std::make_unique<ClientConnection>(std::move(*s), options);
  if (options.tls) {
    auto session = TlsSession::create(*options.tls, options.tls_host);
    Status st;  // (no co_await inside ?: — GCC 12 miscompiles it)
    if (session.ok()) {
      st = co_await (*session)->handshake(*c->stream_, d);
    } else {
      st = session.error();
    }
    if (!st.ok()) {
      co_await c->close();
      co_return Error(st.error().code, "connecting to " + addr.to_string() + ": " + st.error().message);
    }
    c->tls_ = std::move(*session);
  }
  co_return c;
}

Deadline ClientConnection::step_deadline(Deadline d) const {
  return std::min(d, deadline_after(options_.io_timeout));
}

Error ClientConnection::fail(Error e) {
  broken_ = true;
  return e;
}

Task<Status> ClientConnection::send_pieces(std::vector<iovec> pieces, Deadline d) {
  Status st;
  if (tls_) {
    st = co_await tls_->send(*stream_, std::move(pieces), step_deadline(d));
  } else {
    st = co_await stream_->send_all(std::move(pieces), step_deadline(d));
  }
  if (!st) co_return fail(Error(st.error().code, "sending the request: " + st.error().message, st.error().detail));
  co_return Status();
}

Task<Status> ClientConnection::send(const ClientRequest& request, Deadline d) {
  if (state_ != State::idle || broken_) {
    co_return fail(Error(Errc::internal, "HTTP client: request sent on a busy or broken connection"));
  }
  parser_.expect_response_to(request.method);
  uint64_t length = request.body_source ? request.content_length : request.body.size();
  std::string head;
  head.reserve(256);
  head.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : request.headers) head.append(name).append(": ").append(value).append("\r\n");
  if (length > 0 || request.body_source || request.method == "PUT" || request.method == "POST") {
    head.append("Content-Length: ").append(std::to_string(length)).append("\r\n");
  }
  head.append("\r\n");
  state_ = State::sent;
  if (request.body_source) co_return co_await send_streamed(request, std::move(head), d);
  std::vector<iovec> pieces(1, iovec{head.data(), head.size()});
  if (!request.body.empty()) pieces.push_back({const_cast<char*>(request.body.data()), request.body.size()});
  co_return co_await send_pieces(std::move(pieces), d);
}

// Sends the body chunk by chunk. The last byte is held back until the source confirms its end,
// so a source with too many bytes fails the request before the peer has a complete body.
Task<Status> ClientConnection::send_streamed(const ClientRequest& request, std::string head, Deadline d) {
  const uint64_t total = request.content_length;
  uint64_t remaining = total;
  bool head_sent = false;
  auto check_end = [](Result<std::span<const char>>& more, uint64_t total) -> Status {
    if (!more) return Error(more.error().code, "request body: " + more.error().message, more.error().detail);
    if (!more->empty()) {
      return Error(Errc::invalid_argument,
                   "request body has more bytes than its declared length of " + std::to_string(total));
    }
    return {};
  };
  if (total == 0) {
    auto more = co_await request.body_source->next();
    if (auto st = check_end(more, total); !st) co_return fail(std::move(st).error());
    std::vector<iovec> pieces(1, iovec{head.data(), head.size()});
    co_return co_await send_pieces(std::move(pieces), d);
  }
  while (remaining > 0) {
    auto chunk = co_await request.body_source->next();
    if (!chunk) {
      co_return fail(Error(chunk.error().code, "request body: " + chunk.error().message, chunk.error().detail));
    }
    if (chunk->empty()) {
      co_return fail(Error(Errc::invalid_argument, "request body ended after " + std::to_string(total - remaining) +
                                                       " of " + std::to_string(total) + " bytes"));
    }
    if (chunk->size() > remaining) {
      co_return fail(Error(Errc::invalid_argument,
                           "request body has more bytes than its declared length of " + std::to_string(total)));
    }
    remaining -= chunk->size();
    std::span<const char> out = *chunk;
    char last = 0;
    if (remaining == 0) {
      last = out.back();
      out = out.first(out.size() - 1);
    }
    std::vector<iovec> pieces;
    if (!head_sent) pieces.push_back({head.data(), head.size()});
    if (!out.empty()) pieces.push_back({const_cast<char*>(out.data()), out.size()});
    head_sent = true;
    if (!pieces.empty()) {
      if (auto st = co_await send_pieces(std::move(pieces), d); !st) co_return st;
    }
    if (remaining == 0) {
      auto more = co_await request.body_source->next();
      if (auto st = check_end(more, total); !st) co_return fail(std::move(st).error());
      std::vector<iovec> tail(1, iovec{&last, 1});
      if (auto st = co_await send_pieces(std::move(tail), d); !st) co_return st;
    }
  }
  co_return Status();
}

Task<Result<ResponseParser::Step>> ClientConnection::next_event(Deadline d) {
  while (tls_) {  // the same loop over decrypted bytes
    auto step = parser_.feed(plain_);
    plain_ = plain_.subspan(step.consumed);
    if (step.event == ResponseParser::Event::error) co_return fail(Error(Errc::protocol_error, parser_.error_message()));
    if (step.event != ResponseParser::Event::need_more) co_return step;
    auto got = co_await tls_->recv(*stream_, step_deadline(d));
    if (got) {
      plain_ = *got;
      continue;
    }
    if (got.error().code != Errc::closed) {
      co_return fail(Error(got.error().code, "reading the response: " + got.error().message, got.error().detail));
    }
    auto end = parser_.finish();
    if (end.event == ResponseParser::Event::error) co_return fail(Error(Errc::closed, parser_.error_message()));
    co_return end;
  }
  for (;;) {
    if (buf_.empty()) buf_.release();
    auto step = parser_.feed(buf_.bytes());
    buf_.consume(step.consumed);
    if (step.event == ResponseParser::Event::error) {
      co_return fail(Error(Errc::protocol_error, parser_.error_message()));
    }
    if (step.event != ResponseParser::Event::need_more) co_return step;
    buf_.release();
    auto got = co_await stream_->recv(step_deadline(d));
    if (got) {
      buf_ = std::move(*got);
      continue;
    }
    if (got.error().code != Errc::closed) {
      co_return fail(Error(got.error().code, "reading the response: " + got.error().message, got.error().detail));
    }
    auto end = parser_.finish();
    if (end.event == ResponseParser::Event::error) {
      co_return fail(Error(Errc::closed, parser_.error_message()));
    }
    co_return end;
  }
}

Task<Result<ResponseHead>> ClientConnection::read_head(Deadline d) {
  if (state_ != State::sent) co_return fail(Error(Errc::internal, "HTTP client: no request awaits a response"));
  auto step = co_await next_event(d);
  if (!step) co_return std::move(step).error();
  if (step->event != ResponseParser::Event::head_complete) {
    co_return fail(Error(Errc::protocol_error, "HTTP response ended before its head"));
  }
  state_ = State::body;
  co_return parser_.head();
}

Task<Result<std::span<const char>>> ClientConnection::read_body(Deadline d) {
  if (state_ == State::idle) co_return std::span<const char>();
  if (state_ != State::body) co_return fail(Error(Errc::internal, "HTTP client: body read before the head"));
  auto step = co_await next_event(d);
  if (!step) co_return std::move(step).error();
  if (step->event == ResponseParser::Event::body) co_return step->body;
  if (step->event != ResponseParser::Event::message_complete) {
    co_return fail(Error(Errc::protocol_error, "HTTP client: unexpected parser event in the body"));
  }
  state_ = State::idle;
  ++exchanges_;
  // Bytes after the response were never asked for: the connection's framing is in doubt.
  if (!parser_.head().keep_alive || !buf_.empty()) broken_ = true;
  buf_.release();
  co_return std::span<const char>();
}

Task<Result<std::string>> ClientConnection::read_body_string(size_t cap, Deadline d) {
  std::string out;
  if (auto cl = parser_.head().content_length; cl && *cl <= cap) out.reserve(*cl);
  for (;;) {
    auto span = co_await read_body(d);
    if (!span) co_return std::move(span).error();
    if (span->empty()) co_return out;
    if (out.size() + span->size() > cap) {
      co_return fail(Error(Errc::limit_exceeded, "HTTP response body larger than " + std::to_string(cap) + " bytes"));
    }
    out.append(span->data(), span->size());
  }
}

Task<Status> ClientConnection::drain_body(size_t cap, Deadline d) {
  if (auto cl = parser_.head().content_length; cl && *cl > cap) {
    broken_ = true;
    co_return Status();
  }
  size_t seen = 0;
  for (;;) {
    auto span = co_await read_body(d);
    if (!span) co_return std::move(span).error();
    if (span->empty()) co_return Status();
    seen += span->size();
    if (seen > cap) {
      broken_ = true;
      co_return Status();
    }
  }
}

bool ClientConnection::looks_alive() {
  if (broken_ || state_ != State::idle || stream_->at_eof() || stream_->queued_buffers() > 0) return false;
  char c;
  ssize_t n = ::recv(stream_->fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  return false;  // 0: the peer closed it; > 0: unsolicited bytes; < 0: a socket error
}

Task<void> ClientConnection::close() {
  buf_.release();
  state_ = State::closed;
  broken_ = true;
  co_await stream_->close();
}

}  // namespace sluice
