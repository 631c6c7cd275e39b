// Test support: a raw HTTP/1.1 client over a TcpStream that sends exact bytes and reads
// responses (Content-Length or chunked), so server tests can send malformed input on purpose.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/tcp_stream.h"

namespace sluice::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawHttpClient {
 public:
  static Task<Result<std::unique_ptr<RawHttpClient>>> connect(Reactor& r, uint16_t port);
  Task<Status> send(std::string bytes);
  // Reads one response; Errc::closed if the server closed before a full response.
  Task<Result<RawResponse>> read_response(Duration timeout = std::chrono::seconds(5), bool head_only = false);
  // Waits for the server to close the connection; false if data or timeout came instead.
  Task<bool> wait_closed(Duration timeout = std::chrono::seconds(5));
  Task<void> close() { co_await stream_->close(); }
  TcpStream& stream() { return *stream_; }

 private:
  Task<bool> fill(Deadline d);  // reads more bytes into pending_
  std::unique_ptr<TcpStream> stream_;
  std::string pending_;
};

}  // namespace sluice::testing
