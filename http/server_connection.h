// ServerConnection: one accepted HTTP/1.1 connection: reads request heads, routes them, lets the
// handler pull the body and write the response, answers pipelined requests in order, and
// enforces the limits and timeouts of ServerOptions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/buffer_ring.h"
#include "core/intrusive_list.h"
#include "core/result.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "http/http_exchange.h"
#include "http/request_parser.h"
#include "http/response.h"
#include "http/tls_session.h"

namespace sluice {

class HttpServer;

class ServerConnection : public IntrusiveListNode {
 public:
  // `tls`: the connection speaks HTTPS through this (not yet handshaken) session.
  ServerConnection(HttpServer& server, std::unique_ptr<TcpStream> stream, std::unique_ptr<TlsSession> tls = nullptr);
  ~ServerConnection();

  Task<void> run();
  // Shutdown: an idle connection closes now; a busy one closes after its current response,
  // or (force) stops waiting for the client at once.
  void interrupt(bool force = false);
  bool idle() const { return idle_; }
  // No request read yet: accepted, but the client's first request may still be on its way.
  bool fresh() const { return fresh_; }

 private:
  friend class HttpExchange;
  enum class ResponseState { none, streaming, done };

  // The connection's bytes in and out, through TLS when it has a session.
  Task<Result<RecvBuffer>> recv(Deadline d, bool urgent = false);
  Task<Status> send(std::vector<iovec> pieces, Deadline d);
  Task<Status> send(std::span<const char> data, Deadline d);
  Task<Result<bool>> read_head(bool first);  // false: connection should close quietly
  Task<void> serve_request();
  Task<Result<std::span<const char>>> read_body();
  Task<Status> send_continue_if_needed();
  std::string response_head(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                            std::optional<uint64_t> length);
  Task<Status> respond(Response r);
  Task<Status> begin(int status, std::vector<std::pair<std::string, std::string>> headers,
                     std::optional<uint64_t> length);
  Task<Status> write(std::span<const char> data);
  Task<Status> end();
  Task<void> send_error_and_close(int status, std::string message);
  Task<void> run_before_response(int status);
  Task<void> lingering_close();
  std::string next_request_id();
  // CORS: whether `origin` may read responses; the preflight answer for an OPTIONS request.
  bool cors_allows(std::string_view origin) const;
  Task<void> answer_preflight(std::string_view origin);
  const std::string& peer_ip();

  HttpServer& server_;
  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<TlsSession> tls_;
  RequestParser parser_;
  RecvBuffer buf_;
  bool idle_ = true;
  bool fresh_ = true;
  bool interrupted_ = false;
  bool close_after_ = false;
  std::optional<std::string> peer_ip_;  // looked up once per connection

  // Per request.
  uint64_t body_limit_ = 0;
  uint64_t body_read_ = 0;
  bool body_done_ = true;
  std::optional<Error> body_error_;
  bool continue_sent_ = false;
  bool head_request_ = false;
  ResponseState response_ = ResponseState::none;
  HttpExchange::ResponseHook before_response_;  // HttpExchange::before_response; reset per request
  bool chunked_response_ = false;
  std::optional<uint64_t> response_remaining_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;  // add_response_header()
  std::string extra_head_lines_;  // add_response_head_lines(); capacity kept across requests
};

}  // namespace sluice
