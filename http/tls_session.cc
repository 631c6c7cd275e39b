#include "http/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

namespace sluice {

namespace {
constexpr size_t kChunk = 16 * 1024;      // one TLS record's worth of plaintext
constexpr size_t kPlainIn = 64 * 1024;    // plaintext handed to the reader at most at once

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}
}  // namespace

Result<std::unique_ptr<TlsClientContext>> TlsClientContext::create(const TlsClientOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Error(Errc::internal, "cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int ok = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                     : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
    if (ok != 1) {
      SSL_CTX_free(ctx);
      return Error(Errc::invalid_argument,
                   "cannot load CA certificates" + (options.ca_file.empty() ? std::string() : " from " + options.ca_file) +
                       ": " + openssl_errors());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(ctx));
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

namespace {
std::string asn1_time_text(const ASN1_TIME* t) {
  BIO* b = BIO_new(BIO_s_mem());
  if (!b) return {};
  ASN1_TIME_print(b, t);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n > 0 ? n : 0));
  BIO_free(b);
  return out;
}
}  // namespace

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::load(const TlsServerFiles& files) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Error(Errc::internal, "cannot create a TLS context: " + openssl_errors());
  auto owned = std::unique_ptr<TlsServerContext>(new TlsServerContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle keep-alive connections give their record buffers back; renegotiation (TLS 1.2) is a
  // way to make the server do handshakes for free.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  static const unsigned char kSessionContext[] = "sluice";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1)
    return Error(Errc::invalid_argument,
                 "cannot load the TLS certificate from " + files.cert_file + ": " + openssl_errors());
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
      return Error(Errc::invalid_argument, "cannot load the TLS key from " + files.key_file + ": " + openssl_errors());
    return Error(Errc::invalid_argument, "the TLS key in " + files.key_file + " does not match the certificate in " +
                                             files.cert_file + ": " + openssl_errors());
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert) return Error(Errc::invalid_argument, "no certificate in " + files.cert_file);
  owned->not_after_ = asn1_time_text(X509_get0_notAfter(cert));
  char subject[256] = "";
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  owned->subject_ = subject;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
    return Error(Errc::invalid_argument, "the TLS certificate in " + files.cert_file + " (" + owned->subject_ +
                                             ") expired on " + owned->not_after_);
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
    return Error(Errc::invalid_argument, "the TLS certificate in " + files.cert_file + " (" + owned->subject_ +
                                             ") is not valid before " +
                                             asn1_time_text(X509_get0_notBefore(cert)));
  return owned;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

// The network side of a session's reads: OpenSSL reads ciphertext straight out of the receive
// buffer the session holds (no copy into a memory BIO, which would also keep a heap buffer as
// large as the largest receive for the connection's lifetime).
int TlsSession::bio_read(BIO* b, char* out, int len) {
  auto* s = static_cast<TlsSession*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  size_t n = std::min(static_cast<size_t>(len), s->cipher_in_.size());
  if (n == 0) {
    BIO_set_retry_read(b);  // "no data yet", not end of stream
    return -1;
  }
  std::memcpy(out, s->cipher_in_.bytes().data(), n);
  s->cipher_in_.consume(n);
  if (s->cipher_in_.empty()) s->cipher_in_.release();  // back to the ring at once
  return static_cast<int>(n);
}

long TlsSession::bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_PENDING: return static_cast<long>(static_cast<TlsSession*>(BIO_get_data(b))->cipher_in_.size());
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
  }
}

namespace {
int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* input_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice receive buffer");
    BIO_meth_set_read(method, TlsSession::bio_read);
    BIO_meth_set_ctrl(method, TlsSession::bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    return method;
  }();
  return m;
}
}  // namespace

// Gives `ssl` its BIOs; takes ownership of it.
Result<std::unique_ptr<TlsSession>> TlsSession::wrap(SSL* ssl) {
  BIO* in = BIO_new(input_method());
  BIO* out = BIO_new(BIO_s_mem());
  if (!in || !out) {
    BIO_free(in);
    BIO_free(out);
    SSL_free(ssl);
    return Error(Errc::internal, "cannot create TLS buffers");
  }
  SSL_set_bio(ssl, in, out);
  auto s = std::unique_ptr<TlsSession>(new TlsSession(ssl, out));
  BIO_set_data(in, s.get());
  s->cipher_out_.resize(kChunk + 512);
  s->plain_in_.resize(kPlainIn);
  return s;
}

Result<std::unique_ptr<TlsSession>> TlsSession::create(const TlsClientContext& ctx, const std::string& host) {
  SSL* ssl = SSL_new(ctx.get());
  if (!ssl) return Error(Errc::internal, "cannot create a TLS session: " + openssl_errors());
  SSL_set_connect_state(ssl);
  SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI
  if (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host.c_str()) != 1) {
      SSL_free(ssl);
      return Error(Errc::invalid_argument, "cannot check TLS certificates for host '" + host + "'");
    }
  }
  return wrap(ssl);
}

Result<std::unique_ptr<TlsSession>> TlsSession::accept(const TlsServerContext& ctx) {
  SSL* ssl = SSL_new(ctx.get());
  if (!ssl) return Error(Errc::internal, "cannot create a TLS session: " + openssl_errors());
  SSL_set_accept_state(ssl);
  return wrap(ssl);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

Error TlsSession::tls_error(const char* what, int rc) {
  int err = SSL_get_error(ssl_, rc);
  std::string msg = std::string("TLS ") + what + " failed";
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    msg += ": certificate verification: ";
    msg += X509_verify_cert_error_string(verify);
    ERR_clear_error();
    return Error(Errc::permission_denied, msg);
  }
  std::string detail = openssl_errors();
  if (!detail.empty()) msg += ": " + detail;
  if (err == SSL_ERROR_ZERO_RETURN) return Error(Errc::closed, msg + " (peer closed the TLS session)");
  return Error(Errc::protocol_error, msg);
}

Task<Status> TlsSession::flush(TcpStream& tcp, Deadline d) {
  while (BIO_ctrl_pending(out_) > 0) {
    int n = BIO_read(out_, cipher_out_.data(), static_cast<int>(cipher_out_.size()));
    if (n <= 0) break;
    auto st = co_await tcp.send_all(std::span<const char>(cipher_out_.data(), static_cast<size_t>(n)), d);
    if (!st.ok()) co_return st;
  }
  co_return Status();
}

Task<Status> TlsSession::fill(TcpStream& tcp, Deadline d, bool urgent) {
  cipher_in_.release();
  auto got = co_await tcp.recv(d, urgent);
  if (!got.ok()) co_return std::move(got).error();
  cipher_in_ = std::move(*got);
  co_return Status();
}

Task<Status> TlsSession::handshake(TcpStream& tcp, Deadline d) {
  for (;;) {
    int rc = SSL_do_handshake(ssl_);
    if (auto st = co_await flush(tcp, d); !st.ok()) co_return st;
    if (rc == 1) co_return Status();
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      if (auto st = co_await fill(tcp, d); !st.ok()) {
        co_return Error(st.error().code, "TLS handshake: " + st.error().message, st.error().detail);
      }
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) continue;
    co_return tls_error("handshake", rc);
  }
}

Task<Status> TlsSession::send(TcpStream& tcp, std::vector<iovec> pieces, Deadline d) {
  for (const iovec& piece : pieces) {
    const char* p = static_cast<const char*>(piece.iov_base);
    size_t left = piece.iov_len;
    while (left > 0) {
      int n = SSL_write(ssl_, p, static_cast<int>(std::min(left, kChunk)));
      if (n <= 0) co_return tls_error("write", n);
      p += n;
      left -= static_cast<size_t>(n);
      // Small pieces (a response head, a chunk's size line) leave in one send with what follows.
      if (BIO_ctrl_pending(out_) >= kChunk) {
        if (auto st = co_await flush(tcp, d); !st.ok()) co_return st;
      }
    }
  }
  co_return co_await flush(tcp, d);
}

Task<Result<std::span<const char>>> TlsSession::recv(TcpStream& tcp, Deadline d, bool urgent) {
  size_t got = 0;
  for (;;) {
    // Every record already received goes into one chunk: a consumer writing bodies to disk
    // or S3 gets 64 KiB pieces, not one per 16 KiB record.
    int n = SSL_read(ssl_, plain_in_.data() + got, static_cast<int>(plain_in_.size() - got));
    if (n > 0) {
      got += static_cast<size_t>(n);
      if (got < plain_in_.size()) continue;
    }
    if (got > 0) {
      ERR_clear_error();  // whatever stopped the loop shows again on the next call
      if (auto st = co_await flush(tcp, d); !st.ok()) co_return st.error();
      co_return std::span<const char>(plain_in_.data(), got);
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_ZERO_RETURN) co_return Error(Errc::closed, "peer closed the TLS session");
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) co_return tls_error("read", n);
    if (auto st = co_await flush(tcp, d); !st.ok()) co_return st.error();  // e.g. key updates
    if (err == SSL_ERROR_WANT_READ) {
      if (auto st = co_await fill(tcp, d, urgent); !st.ok()) co_return st.error();
    }
  }
}

Task<Result<RecvBuffer>> TlsSession::recv_buffer(TcpStream& tcp, Deadline d, bool urgent) {
  auto got = co_await recv(tcp, d, urgent);
  if (!got.ok()) co_return std::move(got).error();
  co_return RecvBuffer(this, 0, static_cast<uint32_t>(got->size()));
}

const char* TlsSession::version() const { return SSL_get_version(ssl_); }

}  // namespace sluice
