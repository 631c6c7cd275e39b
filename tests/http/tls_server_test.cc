// The HTTPS side of HttpServer against a real OpenSSL client over a real socket: TLS 1.3 by
// default, TLS 1.2 accepted, TLS 1.1 refused; a streamed request body arrives in chunks of a
// fixed buffer (no buffer grows with the body); a reload serves new connections with the new
// certificate while an open connection keeps its session; a certificate that is expired, not yet
// valid, or whose key does not match is refused by TlsServerContext::load.
//
// The server runs on its own reactor thread; the test thread is the blocking client and hands
// the server work (a reload) through an eventfd.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "http/http_exchange.h"
#include "http/http_server.h"
#include "tests/support/reactor_fixture.h"
#include "tests/support/test_certificate.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;

// Answers with the body's size, a checksum, and the largest chunk read_body() handed out.
Task<void> echo(HttpExchange& ex) {
  uint64_t n = 0, sum = 0, largest = 0;
  for (;;) {
    auto chunk = co_await ex.read_body();
    if (!chunk.ok()) {
      (void)co_await ex.respond(Response::error(400, "bad_body", chunk.error().message));
      co_return;
    }
    if (chunk->empty()) break;
    for (char c : *chunk) sum = sum * 31 + static_cast<unsigned char>(c);
    n += chunk->size();
    largest = std::max<uint64_t>(largest, chunk->size());
  }
  (void)co_await ex.respond(Response::json(
      200, "{\"size\":" + std::to_string(n) + ",\"sum\":" + std::to_string(sum) + ",\"largest\":" +
               std::to_string(largest) + "}"));
}

Task<void> hello(HttpExchange& ex) { (void)co_await ex.respond(Response::json(200, "{\"hello\":true}")); }

using testing::CertFiles;

CertFiles make_cert(const std::filesystem::path& dir, const std::string& name, const std::string& cn, long from,
                    long until) {
  return testing::make_test_certificate(dir, name, cn, from, until);
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("sluice-tls-server-" + std::to_string(getpid()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<TlsServerContext> load(const CertFiles& f) {
  auto ctx = TlsServerContext::load(TlsServerFiles{f.cert, f.key});
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  return ctx.ok() ? std::move(*ctx) : nullptr;
}

// An HTTPS server on 127.0.0.1:0 on a reactor thread of its own.
class ServerThread {
 public:
  ServerThread(std::unique_ptr<TlsServerContext> ctx, ServerOptions opts) {
    router_.add("POST", "/echo", echo, RouteOptions{1u << 30});
    router_.add("GET", "/hello", hello);
    efd_ = eventfd(0, EFD_CLOEXEC);
    std::promise<uint16_t> port;
    auto port_ready = port.get_future();
    TlsServerContext* raw = ctx.release();
    thread_ = std::thread([this, raw, opts, &port] {
      testing::run_reactor([this, raw, opts, &port](Reactor& r) -> Task<void> {
        HttpServer server(r, router_, opts);
        server.set_tls_context(std::unique_ptr<TlsServerContext>(raw));
        auto st = server.listen(*SocketAddress::parse("127.0.0.1:0"));
        EXPECT_TRUE(st.ok());
        server_ = &server;
        port.set_value(server.port());
        while (!stop_) {
          uint64_t v = 0;
          int fd = efd_;
          auto prep = [fd, &v](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &v, sizeof v, 0); };
          co_await IoOp(r, prep);
          std::deque<std::function<void()>> work;
          {
            std::lock_guard<std::mutex> lock(mu_);
            work.swap(queue_);
          }
          for (auto& fn : work) fn();
        }
        co_await server.drain(1s);
      });
    });
    port_ = port_ready.get();
  }
  ~ServerThread() {
    call([this](HttpServer&) { stop_ = true; });
    thread_.join();
    ::close(efd_);
  }
  uint16_t port() const { return port_; }
  // Runs fn on the reactor thread and waits until it has run.
  void call(std::function<void(HttpServer&)> fn) {
    std::promise<void> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back([&] {
        fn(*server_);
        done.set_value();
      });
    }
    uint64_t one = 1;
    EXPECT_EQ(::write(efd_, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    done.get_future().wait();
  }

 private:
  Router router_;
  int efd_ = -1;
  uint16_t port_ = 0;
  bool stop_ = false;  // touched on the reactor thread only
  HttpServer* server_ = nullptr;
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  std::thread thread_;
};

// A blocking OpenSSL client (no verification: the tests look at the certificate themselves).
class Client {
 public:
  Client(uint16_t port, int max_version = 0) {
    signal(SIGPIPE, SIG_IGN);  // a server closing early fails the test, not the process
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (max_version) {
      SSL_CTX_set_security_level(ctx_, 0);  // lets the client offer TLS 1.1 at all
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};  // a broken server fails the test instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  int version() const { return SSL_version(ssl_); }
  std::string peer_cn() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return {};
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }
  bool write(std::string_view data) {
    while (!data.empty()) {
      int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // One response: status and body (Content-Length framed); status -1 when the connection broke.
  std::pair<int, std::string> read_response() {
    std::string in;
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos)
      if (!fill(in)) return {-1, in};
    int status = std::atoi(in.c_str() + 9);
    size_t cl = in.find("Content-Length: ");
    size_t length = cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
    while (in.size() < head_end + 4 + length)
      if (!fill(in)) return {-1, in};
    return {status, in.substr(head_end + 4, length)};
  }
  // True when the server closed the connection (EOF or a TLS close), false on a timeout.
  bool closed_by_server() {
    char b[256];
    int n = SSL_read(ssl_, b, sizeof b);
    if (n > 0) return false;
    int err = SSL_get_error(ssl_, n);
    return err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno != EAGAIN);
  }

 private:
  bool fill(std::string& in) {
    char b[16384];
    int n = SSL_read(ssl_, b, sizeof b);
    if (n <= 0) return false;
    in.append(b, static_cast<size_t>(n));
    return true;
  }
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

ServerOptions options() {
  ServerOptions o;
  o.header_timeout = 2s;
  o.body_idle_timeout = 10s;
  return o;
}

std::string hello_request() { return "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"; }

TEST(TlsServer, Tls13HandshakeAndAStreamedBodyThroughAFixedBuffer) {
  TempDir dir;
  CertFiles a = make_cert(dir.path(), "a", "sluice-a", -60, 3600);
  ServerThread server(load(a), options());
  Client c(server.port());
  ASSERT_TRUE(c.handshake_ok());
  EXPECT_EQ(c.version(), TLS1_3_VERSION);
  EXPECT_EQ(c.peer_cn(), "sluice-a");

  // 8 MiB sent in uneven writes; the server must see every byte, never more than its fixed
  // plaintext buffer (64 KiB) at a time: the body streams through it.
  constexpr size_t kSize = 8u << 20;
  std::string body(kSize, '\0');
  uint64_t sum = 0;
  for (size_t i = 0; i < kSize; ++i) {
    body[i] = static_cast<char>((i * 7919) >> 3);
    sum = sum * 31 + static_cast<unsigned char>(body[i]);
  }
  ASSERT_TRUE(c.write("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(kSize) +
                      "\r\n\r\n"));
  for (size_t off = 0; off < kSize;) {
    size_t n = std::min<size_t>(kSize - off, 1000 + (off % 70000));
    ASSERT_TRUE(c.write(std::string_view(body).substr(off, n)));
    off += n;
  }
  auto [status, resp] = c.read_response();
  ASSERT_EQ(status, 200) << resp;
  EXPECT_NE(resp.find("\"size\":" + std::to_string(kSize) + ","), std::string::npos) << resp;
  EXPECT_NE(resp.find("\"sum\":" + std::to_string(sum) + ","), std::string::npos) << resp;
  size_t at = resp.find("\"largest\":");
  ASSERT_NE(at, std::string::npos);
  uint64_t largest = std::stoull(resp.substr(at + 10));
  EXPECT_GT(largest, 0u);
  EXPECT_LE(largest, 65536u);

  // The connection stays usable (keep-alive over TLS).
  ASSERT_TRUE(c.write(hello_request()));
  auto again = c.read_response();
  EXPECT_EQ(again.first, 200);
  EXPECT_EQ(again.second, "{\"hello\":true}");
}

TEST(TlsServer, Tls12AcceptedTls11Refused) {
  TempDir dir;
  CertFiles a = make_cert(dir.path(), "a", "sluice-a", -60, 3600);
  ServerThread server(load(a), options());
  {
    Client c(server.port(), TLS1_2_VERSION);
    ASSERT_TRUE(c.handshake_ok());
    EXPECT_EQ(c.version(), TLS1_2_VERSION);
    ASSERT_TRUE(c.write(hello_request()));
    EXPECT_EQ(c.read_response().first, 200);
  }
  {
    Client c(server.port(), TLS1_1_VERSION);
    EXPECT_FALSE(c.handshake_ok());
  }
  uint64_t failures = 0;
  server.call([&](HttpServer& s) { failures = s.stats().tls_handshake_failures; });
  EXPECT_EQ(failures, 1u);
}

TEST(TlsServer, PlainHttpOnTheTlsPortAndASilentClientAreClosed) {
  TempDir dir;
  CertFiles a = make_cert(dir.path(), "a", "sluice-a", -60, 3600);
  ServerOptions o = options();
  o.header_timeout = 300ms;
  ServerThread server(load(a), o);
  for (bool say_http : {true, false}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (say_http) {
      std::string req = hello_request();
      ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    }
    // Whatever the server answers (a TLS alert at most), it closes: read until EOF.
    char b[4096];
    ssize_t n;
    std::string got;
    while ((n = ::recv(fd, b, sizeof b, 0)) > 0) got.append(b, static_cast<size_t>(n));
    EXPECT_EQ(n, 0) << "expected EOF, errno " << errno;
    EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos);
    ::close(fd);
  }
}

TEST(TlsServer, ReloadKeepsOpenConnectionsAndNewOnesSeeTheNewCertificate) {
  TempDir dir;
  CertFiles a = make_cert(dir.path(), "a", "sluice-a", -60, 3600);
  CertFiles b = make_cert(dir.path(), "b", "sluice-b", -60, 7200);
  ServerThread server(load(a), options());
  Client before(server.port());
  ASSERT_TRUE(before.handshake_ok());
  ASSERT_TRUE(before.write(hello_request()));
  ASSERT_EQ(before.read_response().first, 200);

  auto next = load(b);
  ASSERT_TRUE(next);
  TlsServerContext* raw = next.release();
  server.call([raw](HttpServer& s) { s.set_tls_context(std::unique_ptr<TlsServerContext>(raw)); });

  // The open connection keeps its session (the old context lives on in it).
  ASSERT_TRUE(before.write(hello_request()));
  EXPECT_EQ(before.read_response().first, 200);
  EXPECT_EQ(before.peer_cn(), "sluice-a");
  Client after(server.port());
  ASSERT_TRUE(after.handshake_ok());
  EXPECT_EQ(after.peer_cn(), "sluice-b");
  ASSERT_TRUE(after.write(hello_request()));
  EXPECT_EQ(after.read_response().first, 200);
  // And once more on the first one, after the new context has served a connection.
  ASSERT_TRUE(before.write(hello_request()));
  EXPECT_EQ(before.read_response().first, 200);
}

TEST(TlsServer, ExpiredNotYetValidAndMismatchedPairsAreRefused) {
  TempDir dir;
  CertFiles expired = make_cert(dir.path(), "expired", "sluice-expired", -7200, -3600);
  CertFiles future = make_cert(dir.path(), "future", "sluice-future", 3600, 7200);
  CertFiles good = make_cert(dir.path(), "good", "sluice-good", -60, 3600);
  CertFiles other = make_cert(dir.path(), "other", "sluice-other", -60, 3600);

  auto e = TlsServerContext::load(TlsServerFiles{expired.cert, expired.key});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("expired"), std::string::npos) << e.error().message;
  EXPECT_NE(e.error().message.find(expired.cert), std::string::npos) << e.error().message;

  auto f = TlsServerContext::load(TlsServerFiles{future.cert, future.key});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("not valid before"), std::string::npos) << f.error().message;

  auto m = TlsServerContext::load(TlsServerFiles{good.cert, other.key});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("does not match"), std::string::npos) << m.error().message;

  auto missing = TlsServerContext::load(TlsServerFiles{(dir.path() / "none.crt").string(), good.key});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot load the TLS certificate"), std::string::npos);

  auto ok = TlsServerContext::load(TlsServerFiles{good.cert, good.key});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)->subject(), "/CN=sluice-good");
}

}  // namespace
}  // namespace sluice
