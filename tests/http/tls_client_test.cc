// TLS client against a real TLS server (openssl s_server) with certificates made for the test:
// a verified exchange works; a wrong host name and an unknown CA are refused at the handshake.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "http/client_connection.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A throwaway CA, a server certificate for "localhost" signed by it, and s_server serving files.
class TlsPeer {
 public:
  TlsPeer() {
    dir_ = std::filesystem::temp_directory_path() / ("sluice-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string d = dir_.string();
    std::string cmd =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj '/CN=Sluice Test CA'"
        " 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost'"
        " 2>/dev/null && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > ext.cnf"
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1"
        " -extfile ext.cnf 2>/dev/null && printf 'hello over tls' > hello.txt";
    ok_ = std::system(cmd.c_str()) == 0;
    port_ = free_port();
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(d.c_str()) != 0) _exit(127);
      std::string accept = std::to_string(port_);
      execlp("openssl", "openssl", "s_server", "-quiet", "-accept", accept.c_str(), "-cert", "server.pem", "-key",
             "server.key", "-WWW", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when it accepts connections (bounded wait for the process to come up).
    for (int i = 0; i < 200 && ok_; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return;
      usleep(20000);
    }
    ok_ = false;
  }
  ~TlsPeer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }
  std::string ca() const { return (dir_ / "ca.pem").string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

Task<Result<std::string>> fetch(Reactor& r, uint16_t port, const TlsClientContext* ctx, std::string host) {
  ClientConnectionOptions o;
  o.tls = ctx;
  o.tls_host = host;
  auto c = co_await ClientConnection::connect(r, *SocketAddress::parse("127.0.0.1:" + std::to_string(port)),
                                              deadline_after(10s), o);
  if (!c.ok()) co_return std::move(c).error();
  ClientRequest req;
  req.target = "/hello.txt";
  req.headers.emplace_back("Host", host);
  Status sent = co_await (*c)->send(req, deadline_after(10s));
  Result<std::string> out = Error(Errc::internal, "not read");
  if (sent.ok()) {
    auto head = co_await (*c)->read_head(deadline_after(10s));
    if (head.ok()) {
      out = co_await (*c)->read_body_string(1 << 20, deadline_after(10s));
    } else {
      out = std::move(head).error();
    }
  } else {
    out = sent.error();
  }
  co_await (*c)->close();
  co_return out;
}

TEST(TlsClient, VerifiedExchangeAndRefusals) {
  TlsPeer peer;
  ASSERT_TRUE(peer.ok()) << "could not start openssl s_server with test certificates";
  auto trusted = TlsClientContext::create(TlsClientOptions{peer.ca(), true});
  ASSERT_TRUE(trusted.ok()) << trusted.error().message;
  auto system_store = TlsClientContext::create(TlsClientOptions{"", true});
  ASSERT_TRUE(system_store.ok());
  run_reactor([&](Reactor& r) -> Task<void> {
    auto good = co_await fetch(r, peer.port(), trusted->get(), "localhost");
    EXPECT_TRUE(good.ok()) << (good.ok() ? "" : good.error().message);
    if (good.ok()) {
      EXPECT_EQ(*good, "hello over tls");
    }
    auto wrong_name = co_await fetch(r, peer.port(), trusted->get(), "storage.example.com");
    EXPECT_FALSE(wrong_name.ok());
    if (!wrong_name.ok()) {
      EXPECT_EQ(wrong_name.error().code, Errc::permission_denied) << wrong_name.error().message;
      EXPECT_NE(wrong_name.error().message.find("hostname mismatch"), std::string::npos) << wrong_name.error().message;
    }
    auto unknown_ca = co_await fetch(r, peer.port(), system_store->get(), "localhost");
    EXPECT_FALSE(unknown_ca.ok());
    if (!unknown_ca.ok()) {
      EXPECT_EQ(unknown_ca.error().code, Errc::permission_denied) << unknown_ca.error().message;
    }
  });
}

}  // namespace
}  // namespace sluice
