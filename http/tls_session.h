// TLS over memory BIOs, for both directions: OpenSSL only transforms bytes, the socket I/O stays
// on the reactor (io_uring). As a client the peer's certificate is verified against the system
// store (or a CA file) and its name against the host we meant to reach; as a server the session
// presents the certificate of a TlsServerContext (TLS 1.2 and up).
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "core/buffer_ring.h"
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

struct TlsServerFiles {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM: its private key
};

// A server's certificate and key, loaded from files; one per core. Loading refuses what would
// fail clients: a certificate expired or not yet valid, a key that does not match it.
class TlsServerContext {
 public:
  static Result<std::unique_ptr<TlsServerContext>> load(const TlsServerFiles& files);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;
  SSL_CTX* get() const { return ctx_; }
  // For logs: the certificate's subject and end of validity.
  const std::string& subject() const { return subject_; }
  const std::string& not_after() const { return not_after_; }

 private:
  explicit TlsServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string subject_;
  std::string not_after_;
};

// The plaintext a session hands out lives in its own fixed buffer (64 KiB), lent as a RecvBuffer
// like a ring buffer: however long the body, a TLS connection's receive memory stays fixed.
class TlsSession final : private BufferOwner {
 public:
  static Result<std::unique_ptr<TlsSession>> create(const TlsClientContext& ctx, const std::string& host);
  // The server side of an accepted connection. The session keeps its context alive (OpenSSL
  // counts references), so a context replaced by a reload stays valid for it.
  static Result<std::unique_ptr<TlsSession>> accept(const TlsServerContext& ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  Task<Status> handshake(TcpStream& tcp, Deadline d);
  // Encrypts and sends every piece.
  Task<Status> send(TcpStream& tcp, std::vector<iovec> pieces, Deadline d);
  // The next plaintext bytes, valid until the next call; Errc::closed at the end of the stream.
  Task<Result<std::span<const char>>> recv(TcpStream& tcp, Deadline d, bool urgent = false);
  // The same, as a RecvBuffer that must be released before the next call.
  Task<Result<RecvBuffer>> recv_buffer(TcpStream& tcp, Deadline d, bool urgent = false);
  // The negotiated protocol, e.g. "TLSv1.3".
  const char* version() const;

 private:
  TlsSession(SSL* ssl, BIO* out) : ssl_(ssl), out_(out) {}
  Task<Status> flush(TcpStream& tcp, Deadline d);      // ciphertext OpenSSL produced -> socket
  Task<Status> fill(TcpStream& tcp, Deadline d, bool urgent = false);  // socket -> ciphertext for OpenSSL
  static Result<std::unique_ptr<TlsSession>> wrap(SSL* ssl);
  char* buffer_data(uint16_t) override { return plain_in_.data(); }
 public:  // OpenSSL's callbacks for the input BIO
  static int bio_read(BIO* b, char* out, int len);
  static long bio_ctrl(BIO* b, int cmd, long num, void* ptr);

 private:
  void give_back(uint16_t) override {}
  Error tls_error(const char* what, int rc);

  SSL* ssl_;
  BIO* out_;  // OpenSSL -> network (owned by ssl_); the input BIO reads cipher_in_
  RecvBuffer cipher_in_;  // ciphertext received and not yet read by OpenSSL
  std::vector<char> cipher_out_;
  std::vector<char> plain_in_;
};

}  // namespace sluice
