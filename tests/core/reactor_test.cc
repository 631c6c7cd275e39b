#include "core/reactor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <string>
#include <vector>

#include "core/cross_core.h"
#include "core/reactor_pool.h"
#include "core/task.h"
#include "core/tcp_listener.h"
#include "core/tcp_stream.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

Task<int> add_later(Reactor& r, int a, int b) {
  co_await SleepUntil(r, deadline_after(1ms));
  co_return a + b;
}

TEST(Reactor, TasksChainAndTimersFire) {
  run_reactor([](Reactor& r) -> Task<void> {
    auto start = Clock::now();
    int x = co_await add_later(r, 2, 3);
    int y = co_await add_later(r, x, 10);
    EXPECT_EQ(y, 15);
    EXPECT_GE(Clock::now() - start, 2ms);
  });
}

TEST(Reactor, IoOpWithDeadlineTimesOut) {
  run_reactor([](Reactor& r) -> Task<void> {
    int fds[2];
    if (pipe(fds) != 0) {
      ADD_FAILURE() << "pipe";
      co_return;
    }
    char c;
    int res = co_await IoOp(r, [&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fds[0], &c, 1, 0); },
                            deadline_after(20ms));
    EXPECT_EQ(res, -ETIME);
    close(fds[0]);
    close(fds[1]);
  });
}

struct Pair {
  std::unique_ptr<TcpListener> listener;
  std::unique_ptr<TcpStream> client;
  std::unique_ptr<TcpStream> server;
};

Task<Pair> connected_pair(Reactor& r) {
  Pair p;
  auto l = TcpListener::bind(r, *SocketAddress::parse("127.0.0.1:0"));
  EXPECT_TRUE(l.ok());
  p.listener = std::move(*l);
  int accepted = -1;
  p.listener->start([&](int fd) { accepted = fd; });
  auto c = co_await TcpStream::connect(r, *SocketAddress::parse("127.0.0.1:" + std::to_string(p.listener->port())),
                                       deadline_after(5s));
  EXPECT_TRUE(c.ok());
  p.client = std::move(*c);
  while (accepted < 0) co_await SleepUntil(r, deadline_after(1ms));
  p.server = std::make_unique<TcpStream>(r, accepted);
  co_return p;
}

TEST(TcpStream, LargeTransferWithSlowReaderKeepsWindow) {
  ReactorOptions opts;
  opts.recv_buffer_count = 16;
  opts.recv_buffer_size = 16 * 1024;
  run_reactor(
      [](Reactor& r) -> Task<void> {
        Pair p = co_await connected_pair(r);
        p.server->set_recv_window(2);
        constexpr size_t kTotal = 8 << 20;
        bool sent_ok = false;
        auto sender = [](TcpStream& s, bool& ok) -> Task<void> {
          std::vector<char> chunk(256 * 1024);
          size_t sent = 0;
          while (sent < kTotal) {
            for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>((sent + i) * 31 % 251);
            auto st = co_await s.send_all(std::span<const char>(chunk), deadline_after(10s));
            if (!st.ok()) co_return;
            sent += chunk.size();
          }
          s.shutdown_write();
          ok = true;
        };
        spawn(sender(*p.client, sent_ok));
        size_t got = 0;
        size_t max_queued = 0;
        bool bytes_ok = true;
        for (;;) {
          auto b = co_await p.server->recv(deadline_after(10s));
          if (!b.ok()) {
            EXPECT_EQ(b.error().code, Errc::closed) << b.error().message;
            break;
          }
          for (char c : b->bytes()) {
            if (c != static_cast<char>(got * 31 % 251)) bytes_ok = false;
            ++got;
          }
          max_queued = std::max(max_queued, p.server->queued_buffers());
          if (got % (1 << 20) < 16384) co_await SleepUntil(r, deadline_after(1ms));  // a slow consumer
        }
        EXPECT_TRUE(sent_ok);
        EXPECT_EQ(got, kTotal);
        EXPECT_TRUE(bytes_ok);
        // One recv in flight at most, and only while fewer than `window` buffers wait unread.
        EXPECT_LE(max_queued, 2u);
        EXPECT_EQ(r.buffers().in_use(), 0u);
        co_await p.client->close();
        co_await p.server->close();
        co_await p.listener->stop();
      },
      opts);
}

TEST(TcpStream, RecvDeadlineAndPeerClose) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pair p = co_await connected_pair(r);
    auto start = Clock::now();
    auto b = co_await p.server->recv(deadline_after(30ms));
    EXPECT_FALSE(b.ok());
    if (b.ok()) co_return;
    EXPECT_EQ(b.error().code, Errc::timeout);
    EXPECT_GE(Clock::now() - start, 25ms);
    std::string msg = "hello";
    EXPECT_TRUE((co_await p.client->send_all(std::span<const char>(msg.data(), msg.size()))).ok());
    co_await p.client->close();
    auto got = co_await p.server->recv(deadline_after(5s));
    EXPECT_TRUE(got.ok());
    if (!got.ok()) co_return;
    EXPECT_EQ(std::string(got->bytes().data(), got->size()), "hello");
    got->release();
    auto eof = co_await p.server->recv(deadline_after(5s));
    EXPECT_FALSE(eof.ok());
    if (eof.ok()) co_return;
    EXPECT_EQ(eof.error().code, Errc::closed);
    co_await p.server->close();
    co_await p.listener->stop();
  });
}

TEST(TcpStream, ManyConnectionsShareAFewBuffers) {
  ReactorOptions opts;
  opts.recv_buffer_count = 4;  // far fewer buffers than connections: they must take turns
  opts.recv_buffer_size = 4096;
  run_reactor(
      [](Reactor& r) -> Task<void> {
        auto l = TcpListener::bind(r, *SocketAddress::parse("127.0.0.1:0"));
        std::vector<int> accepted;
        (*l)->start([&](int fd) { accepted.push_back(fd); });
        constexpr int kConns = 16;
        std::vector<std::unique_ptr<TcpStream>> clients;
        for (int i = 0; i < kConns; ++i) {
          auto c = co_await TcpStream::connect(r, *SocketAddress::parse("127.0.0.1:" + std::to_string((*l)->port())),
                                               deadline_after(5s));
          clients.push_back(std::move(*c));
        }
        while (accepted.size() < kConns) co_await SleepUntil(r, deadline_after(1ms));
        std::vector<char> payload(64 * 1024, 'x');
        for (auto& c : clients) {
          spawn([](TcpStream& s, std::vector<char>& data) -> Task<void> {
            (void)co_await s.send_all(std::span<const char>(data), deadline_after(10s));
            s.shutdown_write();
          }(*c, payload));
        }
        std::vector<std::unique_ptr<TcpStream>> servers;
        for (int fd : accepted) {
          servers.push_back(std::make_unique<TcpStream>(r, fd));
          // Both receive modes: the shared ring and a private buffer.
          if (servers.size() % 3 == 2) servers.back()->use_private_buffer(4096);
        }
        int finished = 0;
        std::vector<size_t> totals(kConns, 0);
        for (int i = 0; i < kConns; ++i) {
          spawn([](TcpStream& s, size_t& total, int& fin) -> Task<void> {
            for (;;) {
              auto b = co_await s.recv(deadline_after(10s));
              if (!b.ok()) break;
              total += b->size();
            }
            ++fin;
          }(*servers[i], totals[i], finished));
        }
        while (finished < kConns) co_await SleepUntil(r, deadline_after(1ms));
        for (size_t t : totals) EXPECT_EQ(t, payload.size());
        for (auto& s : servers) co_await s->close();
        for (auto& c : clients) co_await c->close();
        co_await (*l)->stop();
      },
      opts);
}

TEST(ReactorPool, CrossCoreMessages) {
  ReactorPool pool(2, ReactorOptions{}, /*pin=*/true);
  std::atomic<int> ran_on_other{-1};
  std::atomic<int> result{0};
  auto st = pool.start([&](Reactor& r) {
    if (r.core() != 0) return;
    spawn([](Reactor& home, std::atomic<int>& other, std::atomic<int>& res) -> Task<void> {
      int v = co_await submit_to(home, 1, [&other] {
        other = static_cast<int>(Reactor::current()->core());
        return 41;
      });
      EXPECT_EQ(Reactor::current(), &home);  // resumed on our own core
      res = v + 1;
      for (unsigned c = 1; c < home.cores(); ++c) home.post_to(c, [] { Reactor::current()->stop(); });
      home.stop();
    }(r, ran_on_other, result));
  });
  ASSERT_TRUE(st.ok()) << st.error().message;
  pool.join();
  EXPECT_EQ(ran_on_other.load(), 1);
  EXPECT_EQ(result.load(), 42);
}

}  // namespace
}  // namespace sluice
