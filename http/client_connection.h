// ClientConnection: one keep-alive HTTP/1.1 client connection on a reactor. Sends a request
// head plus a body streamed from a ClientBodySource with one chunk in flight (the next chunk
// is pulled only after the previous send completed), then reads the response head and its
// body span by span (or collected, with a size cap). Every wait has a deadline.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "http/response_parser.h"
#include "http/tls_session.h"

namespace sluice {

// Pull-based request body: next() returns the next bytes (valid until the following call) and
// an empty span at the end. It is called only when the connection can send more.
class ClientBodySource {
 public:
  virtual Task<Result<std::span<const char>>> next() = 0;

 protected:
  ~ClientBodySource() = default;
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // percent-encoded path and query, as the request line carries it
  std::vector<std::pair<std::string, std::string>> headers;  // Host included; no Content-Length
  // The body: either small bytes held by the caller, or a source of exactly content_length
  // bytes (a shorter or longer source fails the request before its last byte is sent).
  std::string_view body;
  ClientBodySource* body_source = nullptr;
  uint64_t content_length = 0;  // with body_source
};

struct ClientConnectionOptions {
  // Longest wait for any single step (a send, a receive) on top of the caller's deadline, so
  // a stalled peer is noticed even when the overall deadline is far away.
  Duration io_timeout = std::chrono::seconds(30);
  ResponseParserLimits limits;
  // TLS: when set, the connection speaks TLS to `tls_host` (SNI and certificate name).
  const TlsClientContext* tls = nullptr;
  std::string tls_host;
};

class ClientConnection {
 public:
  ClientConnection(std::unique_ptr<TcpStream> stream, ClientConnectionOptions options);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  static Task<Result<std::unique_ptr<ClientConnection>>> connect(Reactor& r, SocketAddress addr, Deadline d,
                                                                 ClientConnectionOptions options = {});

  // Sends one request (head and body). Only when the previous response was read to the end.
  Task<Status> send(const ClientRequest& request, Deadline d);
  // Waits for the response head (interim 1xx responses are skipped).
  Task<Result<ResponseHead>> read_head(Deadline d);
  // The next span of the response body, valid until the next call; empty at the end.
  Task<Result<std::span<const char>>> read_body(Deadline d);
  // The whole body, for small replies (XML); Errc::limit_exceeded past `cap` bytes.
  Task<Result<std::string>> read_body_string(size_t cap, Deadline d);
  // Reads and drops the rest of the body so the connection can be reused; a body longer than
  // `cap` is not worth draining and leaves the connection unusable instead.
  Task<Status> drain_body(size_t cap, Deadline d);

  // True when the last exchange ended cleanly with keep-alive: the connection may carry
  // another request.
  bool reusable() const { return state_ == State::idle && !broken_; }
  // Cheap check before reusing an idle connection: false when the peer has closed it or sent
  // unsolicited bytes.
  bool looks_alive();
  // Marks the connection as not to be reused (e.g. a caller gave up mid-response).
  void mark_broken() { broken_ = true; }
  bool broken() const { return broken_; }
  uint64_t exchanges() const { return exchanges_; }

  // Must be awaited before the connection is destroyed.
  Task<void> close();

 private:
  enum class State { idle, sent, body, closed };

  Deadline step_deadline(Deadline d) const;
  Task<Status> send_pieces(std::vector<iovec> pieces, Deadline d);
  Task<Status> send_streamed(const ClientRequest& request, std::string head, Deadline d);
  Error fail(Error e);
  // Feeds buffered bytes to the parser, receiving more when they run out.
  Task<Result<ResponseParser::Step>> next_event(Deadline d);

  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<TlsSession> tls_;
  std::span<const char> plain_;  // decrypted bytes not yet parsed (TLS only)
  ClientConnectionOptions options_;
  ResponseParser parser_;
  RecvBuffer buf_;
  State state_ = State::idle;
  bool broken_ = false;
  uint64_t exchanges_ = 0;
};

}  // namespace sluice
