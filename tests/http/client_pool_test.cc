#include "http/client_pool.h"

#include <gtest/gtest.h>

#include "tests/http/fake_http_peer.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpPeer;
using testing::http_reply;
using testing::PeerAction;
using testing::run_reactor;

ClientRequest get_request() {
  ClientRequest req;
  req.headers = {{"Host", "test"}};
  return req;
}

// One GET through the pool; returns the status or the error code.
Task<Result<int>> exchange(ClientPool& pool) {
  auto lease = co_await pool.acquire(deadline_after(5s));
  if (!lease) co_return std::move(lease).error();
  auto st = co_await (*lease)->send(get_request(), deadline_after(5s));
  if (!st) co_return std::move(st).error();
  auto head = co_await (*lease)->read_head(deadline_after(5s));
  if (!head) co_return std::move(head).error();
  auto drained = co_await (*lease)->drain_body(1 << 20, deadline_after(5s));
  if (!drained) co_return std::move(drained).error();
  co_return head->status;
}

TEST(ClientPool, ReusesKeepAliveConnections) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(http_reply(200, "ok"))});
    ClientPool pool(r, peer.address());
    for (int i = 0; i < 3; ++i) {
      auto s = co_await exchange(pool);
      EXPECT_TRUE(s.ok());
      if (s) {
        EXPECT_EQ(*s, 200);
      }
    }
    EXPECT_EQ(pool.stats().connects, 1u);
    EXPECT_EQ(pool.stats().reuses, 2u);
    EXPECT_EQ(pool.idle(), 1u);
    EXPECT_EQ(peer.accepted(), 1);
    co_await pool.shutdown();
    EXPECT_EQ(pool.total(), 0u);
    co_await peer.stop();
  });
}

TEST(ClientPool, ConnectionThatSawAnErrorIsNotReused) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true),
                          PeerAction::respond(http_reply(200, "ok"))});
    ClientPool pool(r, peer.address());
    auto bad = co_await exchange(pool);
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(pool.idle(), 0u);
    EXPECT_EQ(pool.total(), 0u);
    auto good = co_await exchange(pool);
    EXPECT_TRUE(good.ok());
    EXPECT_EQ(pool.stats().connects, 2u);
    co_await pool.shutdown();
    co_await peer.stop();
  });
}

TEST(ClientPool, ConnectionClosedByResponseIsNotReused) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(http_reply(200, "", "Connection: close\r\n"), true)});
    ClientPool pool(r, peer.address());
    EXPECT_TRUE((co_await exchange(pool)).ok());
    EXPECT_EQ(pool.idle(), 0u);
    EXPECT_TRUE((co_await exchange(pool)).ok());
    EXPECT_EQ(pool.stats().connects, 2u);
    co_await pool.shutdown();
    co_await peer.stop();
  });
}

TEST(ClientPool, StaleIdleConnectionIsReplaced) {
  run_reactor([](Reactor& r) -> Task<void> {
    // The peer answers with keep-alive, then closes anyway (as servers do on idle timeout).
    FakeHttpPeer peer(r, {PeerAction::respond(http_reply(200, "ok"), true)});
    ClientPool pool(r, peer.address());
    EXPECT_TRUE((co_await exchange(pool)).ok());
    EXPECT_EQ(pool.idle(), 1u);
    // Let the FIN arrive.
    while (peer.requests().size() < 1) co_await SleepUntil(r, deadline_after(1ms));
    co_await SleepUntil(r, deadline_after(20ms));
    auto again = co_await exchange(pool);
    EXPECT_TRUE(again.ok()) << (again ? "" : again.error().message);
    EXPECT_EQ(pool.stats().connects, 2u);
    EXPECT_EQ(pool.stats().discarded, 1u);
    co_await pool.shutdown();
    co_await peer.stop();
  });
}

TEST(ClientPool, WaitersQueueAndTimeOutAtMaxTotal) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(http_reply(200, "ok"))});
    ClientPoolOptions opts;
    opts.max_idle = 1;
    opts.max_total = 1;
    ClientPool pool(r, peer.address(), opts);
    auto first = co_await pool.acquire(deadline_after(5s));
    EXPECT_TRUE(first.ok());
    if (!first) co_return;
    auto start = Clock::now();
    auto second = co_await pool.acquire(deadline_after(50ms));
    EXPECT_FALSE(second.ok());
    if (!second) {
      EXPECT_EQ(second.error().code, Errc::timeout);
    }
    EXPECT_GE(Clock::now() - start, 45ms);
    EXPECT_EQ(pool.stats().wait_timeouts, 1u);

    // A waiter gets the connection as soon as the holder finishes with it.
    bool got = false;
    spawn([](ClientPool& p, bool& ok) -> Task<void> {
      auto s = co_await exchange(p);
      ok = s.ok();
    }(pool, got));
    EXPECT_TRUE((co_await (*first)->send(get_request(), deadline_after(5s))).ok());
    EXPECT_TRUE((co_await (*first)->read_head(deadline_after(5s))).ok());
    EXPECT_TRUE((co_await (*first)->drain_body(100, deadline_after(5s))).ok());
    first->reset();
    while (!got) co_await SleepUntil(r, deadline_after(1ms));
    EXPECT_EQ(pool.stats().connects, 1u);
    EXPECT_EQ(peer.accepted(), 1);
    co_await pool.shutdown();
    co_await peer.stop();
  });
}

TEST(ClientPool, RefusedConnectIsUnavailable) {
  run_reactor([](Reactor& r) -> Task<void> {
    SocketAddress nowhere;
    {
      FakeHttpPeer peer(r, {PeerAction::hang()});
      nowhere = peer.address();
      co_await peer.stop();
    }
    ClientPool pool(r, nowhere);
    auto lease = co_await pool.acquire(deadline_after(5s));
    EXPECT_FALSE(lease.ok());
    if (!lease) {
      EXPECT_EQ(lease.error().code, Errc::unavailable) << lease.error().message;
    }
    EXPECT_EQ(pool.total(), 0u);
    co_await pool.shutdown();
  });
}

}  // namespace
}  // namespace sluice
