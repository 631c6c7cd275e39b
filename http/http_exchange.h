// HttpExchange: what a handler sees of one request on a server connection: the parsed head,
// the body as a pull stream with backpressure, and the response (whole or streamed).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "http/request.h"
#include "http/response.h"

namespace sluice {

class ServerConnection;

class HttpExchange {
 public:
  explicit HttpExchange(ServerConnection& c) : c_(c) {}

  Request& request();
  Reactor& reactor();
  // The peer's IP address as text ("" if the socket cannot say): for per-client limits.
  std::string client_address() const;

  // The next piece of the request body; an empty span at its end. The span stays valid until
  // the next call. The first call answers `Expect: 100-continue`. Errors: Errc::timeout (body
  // idle), Errc::limit_exceeded (route body limit), Errc::invalid_argument (bad framing),
  // Errc::closed (client gone).
  Task<Result<std::span<const char>>> read_body();
  bool body_complete() const;
  uint64_t body_bytes_read() const;
  // Raises or lowers the body limit for this request (e.g. an upload route after admission).
  void set_body_limit(uint64_t bytes);

  // Sends a whole response.
  Task<Status> respond(Response r);
  // Streams a response: head first (chunked when `length` is nullopt), then write()s, then end().
  Task<Status> begin(int status, std::vector<std::pair<std::string, std::string>> headers,
                     std::optional<uint64_t> length);
  Task<Status> write(std::span<const char> data);
  Task<Status> end();
  bool responded() const;
  // Runs once with the status, before the head of this request's response is sent (a whole
  // response, a streamed one, or the 500 of a handler that gave none): e.g. the audit row is
  // written before the client can see the answer.
  using ResponseHook = std::function<Task<void>(int status)>;
  void before_response(ResponseHook hook);
  // Ask for the connection to close after this response (sets Connection: close).
  void close_after();

  // A header every response to this request carries, whoever builds it (the rate-limit
  // headers of a limited route, set before the handler answers).
  void add_response_header(std::string name, std::string value);
  // The same for header lines already formatted ("Name: value\r\n" each), copied into a buffer
  // the connection reuses: no allocation per request (the rate-limit headers of every answer).
  // The handler cannot override these.
  void add_response_head_lines(std::string_view lines);
  // The peer's IP address as text ("127.0.0.1", "::1"); empty when unknown.
  const std::string& peer_ip();

 private:
  ServerConnection& c_;
};

// HTTP status for an error from read_body() (408, 413, 400), or 0 when no response is possible.
int status_for_body_error(const Error& e);

}  // namespace sluice
