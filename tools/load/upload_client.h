// UploadClient: one keep-alive HTTP/1.1 connection of the load generator. It sends a request
// head and a generated body (optionally after waiting for 100 Continue) in large gathered
// writes and reads the response, with the timestamps the report needs. One request at a time.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "tools/load/request_body.h"
#include "tools/load/response_reader.h"

namespace sluice::load {

struct ClientConfig {
  SocketAddress address;
  Duration timeout = std::chrono::seconds(60);          // per send / receive step
  Duration continue_timeout = std::chrono::seconds(1);  // wait for 100 Continue, then send anyway
  size_t send_batch = 256 * 1024;
};

// What one request/response exchange produced.
struct Exchange {
  ResponseHead head;
  std::string body;             // the response body's first `keep` bytes
  uint64_t body_length = 0;
  uint64_t wire_bytes = 0;      // request bytes written
  Deadline head_sent{};         // the head went out (expect-continue) / the request started
  Deadline first_response{};    // first byte of the first response (100 Continue or final)
  Deadline body_sent{};         // the last request byte went out
  Deadline final_first_byte{};  // first byte of the final response
  Deadline done{};              // the final response was read completely
  bool used_continue = false;   // sent Expect: 100-continue and waited
  bool continue_timed_out = false;
  bool body_skipped = false;    // a final answer came before the body was (fully) sent
};

class UploadClient {
 public:
  UploadClient(Reactor& r, const ClientConfig& config) : r_(r), config_(config) {}
  ~UploadClient();
  UploadClient(const UploadClient&) = delete;
  UploadClient& operator=(const UploadClient&) = delete;

  bool connected() const { return stream_ != nullptr; }
  // Opens the connection if there is none; fills *took with the connect time when it did.
  Task<Status> connect(Duration* took);
  // Sends `head` (complete, ending in CRLF CRLF) and `body`, reads the final response.
  // With `expect_continue` the head must carry "Expect: 100-continue". On failure the
  // connection is closed; the next call reconnects.
  Task<Result<Exchange>> exchange(std::string head, const RequestBody* body, bool expect_continue, size_t keep,
                                  PatternVerifier* verifier);
  // Closes the connection (must be awaited before destruction if connected).
  Task<void> close();

 private:
  Task<Status> send_rest(BodyCursor& cursor, Exchange& x);
  Task<Status> read_final(Exchange& x, size_t keep, PatternVerifier* verifier, bool have_head);

  Reactor& r_;
  const ClientConfig& config_;
  std::unique_ptr<TcpStream> stream_;
  ResponseReader reader_;
  std::vector<iovec> iov_;
  bool reusable_ = false;
};

}  // namespace sluice::load
