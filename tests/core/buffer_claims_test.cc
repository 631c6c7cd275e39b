// When ring buffers are scarce, receivers take turns: first come, first served, bodies in
// progress and new requests alternating, and idle receivers cannot hold a claim others need.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "core/buffer_ring.h"
#include "core/reactor.h"
#include "core/task.h"
#include "core/tcp_stream.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

// A stream on one end of a socket pair; the test writes to the other end.
struct Pair {
  std::unique_ptr<TcpStream> stream;
  int peer = -1;
};

Pair socket_pair(Reactor& r) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  return Pair{std::make_unique<TcpStream>(r, sv[0]), sv[1]};
}

void send_byte(const Pair& p, char c) { ASSERT_EQ(::write(p.peer, &c, 1), 1); }

Task<void> close_all(std::vector<Pair>& pairs) {
  for (auto& p : pairs) {
    co_await p.stream->close();
    ::close(p.peer);
  }
}

// Receives one chunk, notes who got it, and gives the buffer straight back.
Task<void> read_one(TcpStream& s, int id, bool urgent, std::vector<int>& order, int& finished) {
  auto b = co_await s.recv(deadline_after(5s), urgent);
  if (b.ok()) order.push_back(id);
  ++finished;
}

Task<void> wait_for(Reactor& r, int& finished, int n) {
  Deadline give_up = deadline_after(10s);
  while (finished < n && Clock::now() < give_up) co_await SleepUntil(r, deadline_after(1ms));
}

ReactorOptions tiny_ring(unsigned buffers) {
  ReactorOptions opts;
  opts.recv_buffer_count = buffers;
  opts.recv_buffer_size = 4096;
  return opts;
}

TEST(BufferClaims, WaitersAreServedInTheOrderTheyAsked) {
  run_reactor(
      [](Reactor& r) -> Task<void> {
        constexpr int kWaiters = 8;
        std::vector<Pair> pairs;
        for (int i = 0; i <= kWaiters; ++i) pairs.push_back(socket_pair(r));
        // Stream 0 takes the only buffer and keeps it.
        send_byte(pairs[0], 'x');
        auto held = co_await pairs[0].stream->recv(deadline_after(5s));
        EXPECT_TRUE(held.ok());
        EXPECT_EQ(r.buffers().in_use(), 1u);
        std::vector<int> order;
        int finished = 0;
        for (int i = 1; i <= kWaiters; ++i) {
          send_byte(pairs[i], 'y');
          spawn(read_one(*pairs[i].stream, i, true, order, finished));
        }
        co_await SleepUntil(r, deadline_after(20ms));
        EXPECT_TRUE(order.empty()) << "a receive went ahead without a buffer";
        EXPECT_EQ(r.buffers().waiting(), static_cast<unsigned>(kWaiters));
        held->release();
        co_await wait_for(r, finished, kWaiters);
        std::vector<int> expected;
        for (int i = 1; i <= kWaiters; ++i) expected.push_back(i);
        EXPECT_EQ(order, expected);
        co_await close_all(pairs);
        EXPECT_EQ(r.buffers().in_use(), 0u);
        EXPECT_EQ(r.buffers().claimed(), 0u);
        EXPECT_EQ(r.buffers().waiting(), 0u);
      },
      tiny_ring(1));
}

TEST(BufferClaims, BodiesInProgressAndNewRequestsTakeTurns) {
  run_reactor(
      [](Reactor& r) -> Task<void> {
        std::vector<Pair> pairs;
        for (int i = 0; i < 5; ++i) pairs.push_back(socket_pair(r));
        send_byte(pairs[0], 'x');
        auto held = co_await pairs[0].stream->recv(deadline_after(5s));
        EXPECT_TRUE(held.ok());
        std::vector<int> order;
        int finished = 0;
        // Streams 1 and 2 wait for new requests, then 3 and 4 (in bodies) queue behind them.
        for (int i = 1; i <= 4; ++i) {
          send_byte(pairs[i], 'd');
          spawn(read_one(*pairs[i].stream, i, i >= 3, order, finished));
          co_await SleepUntil(r, deadline_after(10ms));
        }
        EXPECT_EQ(r.buffers().waiting(), 4u);
        held->release();
        co_await wait_for(r, finished, 4);
        std::vector<int> expected{3, 1, 4, 2};
        EXPECT_EQ(order, expected);
        co_await close_all(pairs);
      },
      tiny_ring(1));
}

// A connection whose peer has sent but that waits for a buffer is not timed out: the wait is
// the server's, not the peer's.
TEST(BufferClaims, WaitingForABufferDoesNotCountAgainstThePeer) {
  run_reactor(
      [](Reactor& r) -> Task<void> {
        std::vector<Pair> pairs;
        for (int i = 0; i < 2; ++i) pairs.push_back(socket_pair(r));
        send_byte(pairs[0], 'x');
        auto held = co_await pairs[0].stream->recv(deadline_after(5s));
        EXPECT_TRUE(held.ok());
        send_byte(pairs[1], 'y');
        bool got = false;
        bool done = false;
        spawn([](TcpStream& s, bool& ok, bool& fin) -> Task<void> {
          auto b = co_await s.recv(deadline_after(50ms));
          ok = b.ok();
          fin = true;
        }(*pairs[1].stream, got, done));
        co_await SleepUntil(r, deadline_after(200ms));  // well past its 50 ms deadline
        EXPECT_FALSE(done);
        held->release();
        Deadline give_up = deadline_after(5s);
        while (!done && Clock::now() < give_up) co_await SleepUntil(r, deadline_after(1ms));
        EXPECT_TRUE(got);
        co_await close_all(pairs);
      },
      tiny_ring(1));
}

TEST(BufferClaims, IdleReceiversGiveTheirClaimsUp) {
  run_reactor(
      [](Reactor& r) -> Task<void> {
        std::vector<Pair> pairs;
        for (int i = 0; i < 3; ++i) pairs.push_back(socket_pair(r));
        std::vector<int> order;
        int finished = 0;
        // Two idle connections wait for data and hold both claims.
        spawn(read_one(*pairs[0].stream, 0, false, order, finished));
        spawn(read_one(*pairs[1].stream, 1, false, order, finished));
        co_await SleepUntil(r, deadline_after(5ms));
        EXPECT_EQ(r.buffers().claimed(), 2u);
        // A third has data: it must not wait for the idle ones to hear from their peers.
        send_byte(pairs[2], 'z');
        spawn(read_one(*pairs[2].stream, 2, false, order, finished));
        co_await wait_for(r, finished, 1);
        std::vector<int> first{2};
        EXPECT_EQ(order, first);
        // The connections whose claims were taken still receive when their data comes.
        send_byte(pairs[0], 'a');
        send_byte(pairs[1], 'b');
        co_await wait_for(r, finished, 3);
        EXPECT_EQ(order.size(), 3u);
        co_await close_all(pairs);
        EXPECT_EQ(r.buffers().in_use(), 0u);
        EXPECT_EQ(r.buffers().claimed(), 0u);
      },
      tiny_ring(2));
}

}  // namespace
}  // namespace sluice
