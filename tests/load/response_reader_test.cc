// ResponseReader and UploadClient over real sockets on a reactor: response framing (length,
// chunked, close-delimited, 100 Continue) and the client's send / 100-continue / refusal paths.
#include "tools/load/response_reader.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <string>

#include "core/tcp_listener.h"
#include "tests/support/reactor_fixture.h"
#include "tools/load/body_pattern.h"
#include "tools/load/upload_client.h"

namespace sluice::load {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

TEST(ParseResponseHead, ReadsTheFieldsTheClientUses) {
  auto h = parse_response_head("HTTP/1.1 201 Created\r\nContent-Length: 17\r\nETag: \"abc\"\r\nX-Other: 1");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->status, 201);
  EXPECT_TRUE(h->has_length);
  EXPECT_EQ(h->content_length, 17u);
  EXPECT_EQ(h->etag, "\"abc\"");
  EXPECT_TRUE(h->keep_alive);

  auto c = parse_response_head("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\nConnection: Close");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->chunked);
  EXPECT_FALSE(c->has_length);
  EXPECT_FALSE(c->keep_alive);

  auto old = parse_response_head("HTTP/1.0 200 OK\r\nContent-Length: 0");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->keep_alive);
  auto old_ka = parse_response_head("HTTP/1.0 200 OK\r\nConnection: keep-alive");
  ASSERT_TRUE(old_ka.ok());
  EXPECT_TRUE(old_ka->keep_alive);

  auto cont = parse_response_head("HTTP/1.1 100 Continue");
  ASSERT_TRUE(cont.ok());
  EXPECT_FALSE(cont->has_body());
}

TEST(ParseResponseHead, RejectsGarbage) {
  EXPECT_FALSE(parse_response_head("").ok());
  EXPECT_FALSE(parse_response_head("SSH-2.0-OpenSSH").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 2x0 OK").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 12abc").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nno colon here").ok());
}

// A connected pair: the test writes raw response bytes into `peer`, the reader reads `stream`.
struct Pair {
  int peer = -1;
  std::unique_ptr<TcpStream> stream;
};
Pair make_pair(Reactor& r) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return Pair{fds[1], std::make_unique<TcpStream>(r, fds[0])};
}
void put(int fd, std::string_view s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }

TEST(ResponseReader, ContinueThenLengthThenChunkedOnOneConnection) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pair p = make_pair(r);
    put(p.peer,
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nETag: \"e1\"\r\n\r\nhello"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: y\r\n\r\n");
    ResponseReader reader;
    Deadline first{};
    auto h100 = co_await reader.read_head(*p.stream, 1s, &first);
    EXPECT_TRUE(h100.ok() && h100->status == 100);
    EXPECT_NE(first, Deadline{});
    auto h201 = co_await reader.read_head(*p.stream, 1s, &first);
    if (!h201.ok()) co_return;
    EXPECT_EQ(h201->status, 201);
    EXPECT_EQ(h201->etag, "\"e1\"");
    std::string body;
    auto n = co_await reader.read_body(*p.stream, *h201, 1s, &body, 100, nullptr);
    EXPECT_TRUE(n.ok() && *n == 5);
    EXPECT_EQ(body, "hello");
    auto h200 = co_await reader.read_head(*p.stream, 1s, &first);
    if (!h200.ok()) co_return;
    EXPECT_TRUE(h200->chunked);
    std::string chunked;
    auto m = co_await reader.read_body(*p.stream, *h200, 1s, &chunked, 100, nullptr);
    EXPECT_TRUE(m.ok() && *m == 5);
    EXPECT_EQ(chunked, "abcde");
    ::close(p.peer);
    co_await p.stream->close();
  });
}

TEST(ResponseReader, CloseDelimitedBodyStreamsIntoTheVerifier) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pair p = make_pair(r);
    std::string file(50000, '\0');
    for (size_t i = 0; i < file.size(); ++i) file[i] = BodyPattern::instance().at(i);
    put(p.peer, "HTTP/1.1 200 OK\r\n\r\n");
    put(p.peer, file);
    ::shutdown(p.peer, SHUT_WR);
    ResponseReader reader;
    Deadline first{};
    auto h = co_await reader.read_head(*p.stream, 1s, &first);
    if (!h.ok()) co_return;
    PatternVerifier v(file.size());
    std::string kept;
    auto n = co_await reader.read_body(*p.stream, *h, 1s, &kept, 10, &v);
    EXPECT_TRUE(n.ok() && *n == file.size());
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(kept.size(), 10u);  // only what was asked for is kept
    ::close(p.peer);
    co_await p.stream->close();
  });
}

TEST(ResponseReader, TruncatedBodyIsAnError) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pair p = make_pair(r);
    put(p.peer, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    ::shutdown(p.peer, SHUT_WR);
    ResponseReader reader;
    Deadline first{};
    auto h = co_await reader.read_head(*p.stream, 1s, &first);
    if (!h.ok()) co_return;
    auto n = co_await reader.read_body(*p.stream, *h, 1s, nullptr, 0, nullptr);
    EXPECT_FALSE(n.ok());
    if (!n.ok()) {
      EXPECT_EQ(n.error().code, Errc::closed);
    }
    ::close(p.peer);
    co_await p.stream->close();
  });
}

// A scripted server for UploadClient: answers 100 Continue (or refuses with 413 when
// `refuse_after` requests have been served), checks the body against the pattern, replies 201.
struct FakeServer {
  int requests = 0;
  int refuse_after = 1000;
  bool body_ok = true;
  uint64_t body_bytes = 0;
};

Task<void> serve(Reactor& r, int fd, FakeServer* fs) {
  TcpStream s(r, fd);
  std::string buf;
  for (;;) {
    size_t end;
    bool eof = false;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      auto b = co_await s.recv(deadline_after(5s));
      if (!b.ok()) {
        eof = true;
        break;
      }
      buf.append(b->bytes().data(), b->size());
    }
    if (eof) break;
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    uint64_t length = 0;
    size_t cl = head.find("Content-Length: ");
    if (cl != std::string::npos) std::from_chars(head.data() + cl + 16, head.data() + head.size(), length);
    if (head.find("Expect: 100-continue") != std::string::npos) {
      if (fs->requests >= fs->refuse_after) {
        std::string no = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno";
        (void)co_await s.send_all(std::span<const char>(no.data(), no.size()));
        break;
      }
      std::string go = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)co_await s.send_all(std::span<const char>(go.data(), go.size()));
    }
    PatternVerifier v(length);
    uint64_t left = length;
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    v.feed(std::span<const char>(buf.data(), take));
    buf.erase(0, take);
    left -= take;
    while (left > 0) {
      auto b = co_await s.recv(deadline_after(5s));
      if (!b.ok()) break;
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, b->size()));
      v.feed(b->bytes().subspan(0, n));
      left -= n;
      buf.append(b->bytes().data() + n, b->size() - n);
    }
    fs->body_ok = fs->body_ok && v.ok();
    fs->body_bytes += length;
    ++fs->requests;
    std::string reply = "HTTP/1.1 201 Created\r\nContent-Length: 11\r\nETag: \"p\"\r\n\r\n{\"id\":\"f1\"}";
    (void)co_await s.send_all(std::span<const char>(reply.data(), reply.size()));
  }
  co_await s.close();
}

TEST(UploadClient, SendsBodiesWithAndWithoutContinueAndHandlesARefusal) {
  FakeServer fs;
  fs.refuse_after = 2;
  run_reactor([&fs](Reactor& r) -> Task<void> {
    auto l = TcpListener::bind(r, *SocketAddress::parse("127.0.0.1:0"));
    if (!l.ok()) co_return;
    TaskGroup group;
    (*l)->start([&r, &fs, &group](int fd) { spawn(serve(r, fd, &fs), &group); });
    ClientConfig config;
    config.address = *SocketAddress::parse("127.0.0.1:" + std::to_string((*l)->port()));
    config.timeout = 5s;
    config.continue_timeout = 5s;
    config.send_batch = 64 * 1024;
    UploadClient c(r, config);
    Duration took{};
    EXPECT_TRUE((co_await c.connect(&took)).ok());

    RequestBody big;
    big.pattern_bytes = 1'000'003;  // several batches, not a multiple of the pattern
    const std::string head1 = "PUT /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1000003\r\n\r\n";
    auto x1 = co_await c.exchange(head1, &big, false, 100, nullptr);
    EXPECT_TRUE(x1.ok());
    if (x1.ok()) {
      EXPECT_EQ(x1->head.status, 201);
      EXPECT_EQ(x1->body, "{\"id\":\"f1\"}");
      EXPECT_EQ(x1->wire_bytes, 1'000'003u + head1.size());
      EXPECT_FALSE(x1->used_continue);
      EXPECT_GE(x1->final_first_byte, x1->body_sent - 1ms);
    }
    RequestBody small;
    small.pattern_bytes = 1000;
    auto x2 = co_await c.exchange(
        "PUT /b HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n", &small, true, 100, nullptr);
    EXPECT_TRUE(x2.ok());
    if (x2.ok()) {
      EXPECT_EQ(x2->head.status, 201);
      EXPECT_TRUE(x2->used_continue);
      EXPECT_FALSE(x2->continue_timed_out);
      EXPECT_FALSE(x2->body_skipped);
      EXPECT_LE(x2->first_response, x2->body_sent);  // the 100 came before the body went out
    }
    EXPECT_TRUE(c.connected());  // keep-alive held across both
    auto x3 = co_await c.exchange(
        "PUT /c HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n", &small, true, 100, nullptr);
    EXPECT_TRUE(x3.ok());
    if (x3.ok()) {
      EXPECT_EQ(x3->head.status, 413);
      EXPECT_TRUE(x3->body_skipped);
      EXPECT_EQ(x3->body, "no");
    }
    EXPECT_FALSE(c.connected());  // a refused body leaves the connection unusable
    co_await c.close();
    co_await group.wait();
    co_await (*l)->stop();
  });
  EXPECT_EQ(fs.requests, 2);
  EXPECT_TRUE(fs.body_ok);
  EXPECT_EQ(fs.body_bytes, 1'001'003u);
}

}  // namespace
}  // namespace sluice::load
