// TLS for client connections: OpenSSL driven through memory BIOs, so the socket I/O stays on
// the reactor (io_uring) and OpenSSL only transforms bytes. The peer's certificate is verified
// against the system store (or a CA file) and its name against the host we meant to reach.
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "core/tcp_stream.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace sluice {

struct TlsClientOptions {
  std::string ca_file;  // empty: the system's trust store
  bool verify = true;   // off only for tests against self-signed peers without a CA file
};

// One per core (or per store on a core): never shared across threads.
class TlsClientContext {
 public:
  static Result<std::unique_ptr<TlsClientContext>> create(const TlsClientOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsClientContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class TlsSession {
 public:
  static Result<std::unique_ptr<TlsSession>> create(const TlsClientContext& ctx, const std::string& host);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  Task<Status> handshake(TcpStream& tcp, Deadline d);
  // Encrypts and sends every piece.
  Task<Status> send(TcpStream& tcp, std::vector<iovec> pieces, Deadline d);
  // The next plaintext bytes, valid until the next call; Errc::closed at the end of the stream.
  Task<Result<std::span<const char>>> recv(TcpStream& tcp, Deadline d);

 private:
  TlsSession(SSL* ssl, BIO* in, BIO* out) : ssl_(ssl), in_(in), out_(out) {}
  Task<Status> flush(TcpStream& tcp, Deadline d);      // ciphertext OpenSSL produced -> socket
  Task<Status> fill(TcpStream& tcp, Deadline d);       // socket -> ciphertext for OpenSSL
  Error tls_error(const char* what, int rc);

  SSL* ssl_;
  BIO* in_;   // network -> OpenSSL (owned by ssl_)
  BIO* out_;  // OpenSSL -> network (owned by ssl_)
  std::vector<char> cipher_out_;
  std::vector<char> plain_in_;
};

}  // namespace sluice
