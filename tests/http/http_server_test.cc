#include "http/http_server.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "http/http_exchange.h"
#include "tests/support/raw_http_client.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::run_reactor;

Task<void> hello(HttpExchange& ex) {
  (void)co_await ex.respond(Response::json(200, "{\"path\":\"" + std::string(ex.request().path()) + "\"}"));
}

// Reads the whole body and answers with its length and a simple checksum.
Task<void> echo_size(HttpExchange& ex) {
  uint64_t n = 0, sum = 0;
  for (;;) {
    auto chunk = co_await ex.read_body();
    if (!chunk.ok()) {
      int st = status_for_body_error(chunk.error());
      if (st) (void)co_await ex.respond(Response::error(st, default_error_code(st), chunk.error().message));
      co_return;
    }
    if (chunk->empty()) break;
    for (char c : *chunk) sum = sum * 31 + static_cast<unsigned char>(c);
    n += chunk->size();
  }
  (void)co_await ex.respond(Response::json(200, "{\"size\":" + std::to_string(n) + ",\"sum\":" + std::to_string(sum) + "}"));
}

Task<void> refuse(HttpExchange& ex) {
  (void)co_await ex.respond(Response::error(403, "forbidden", "no uploads for you"));
}

const std::vector<std::string> kStreamParts = {"alpha-", "beta-", "gamma"};

Task<void> stream_chunks(HttpExchange& ex) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Content-Type", std::string("text/plain"));
  if (!(co_await ex.begin(200, std::move(headers), std::nullopt)).ok()) co_return;
  for (const std::string& part : kStreamParts)
    if (!(co_await ex.write(std::span<const char>(part.data(), part.size()))).ok()) co_return;
  (void)co_await ex.end();
}

Task<void> slow(HttpExchange& ex) {
  co_await SleepUntil(ex.reactor(), deadline_after(100ms));
  (void)co_await ex.respond(Response::json(200, "{\"slow\":true}"));
}

Router make_router() {
  Router r;
  r.add("GET", "/hello", hello);
  r.add("GET", "/items/{id}", hello);
  r.add("DELETE", "/items/{id}", hello);
  r.add("POST", "/echo", echo_size, RouteOptions{64u << 20});
  r.add("POST", "/small", echo_size, RouteOptions{1000});
  r.add("PUT", "/refuse", refuse, RouteOptions{1u << 30});
  r.add("GET", "/stream", stream_chunks);
  r.add("GET", "/slow", slow);
  return r;
}

// Timeouts far above any pause a loaded (or sanitized) test machine makes.
ServerOptions patient_options() {
  ServerOptions o;
  o.body_idle_timeout = 30s;
  return o;
}

ServerOptions fast_options() {
  ServerOptions o;
  o.header_timeout = 300ms;
  o.keepalive_timeout = 300ms;
  o.body_idle_timeout = 300ms;
  return o;
}

// Runs `test(reactor, server)` against a server on a free port and drains it afterwards.
template <class F>
void with_server(F test, ServerOptions opts = fast_options(), ReactorOptions reactor_opts = {}) {
  Router router = make_router();
  run_reactor(
      [&router, opts, test](Reactor& r) -> Task<void> {
        HttpServer server(r, router, opts);
        auto st = server.listen(*SocketAddress::parse("127.0.0.1:0"));
        EXPECT_TRUE(st.ok());
        if (!st.ok()) co_return;
        co_await test(r, server);
        co_await server.drain(1s);
      },
      reactor_opts);
}

Task<std::unique_ptr<RawHttpClient>> client(Reactor& r, HttpServer& s) {
  auto c = co_await RawHttpClient::connect(r, s.port());
  EXPECT_TRUE(c.ok());
  co_return std::move(*c);
}

TEST(HttpServer, KeepAliveAndRequestId) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    for (int i = 0; i < 3; ++i) {
      (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
      auto resp = co_await c->read_response();
      EXPECT_TRUE(resp.ok());
      if (!resp.ok()) co_return;
      EXPECT_EQ(resp->status, 200);
      EXPECT_EQ(resp->body, "{\"path\":\"/hello\"}");
      EXPECT_FALSE(resp->header("x-request-id").empty());
      EXPECT_EQ(resp->header("connection"), "");
    }
    (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n\r\n");
    auto resp = co_await c->read_response();
    EXPECT_EQ(resp->header("x-request-id"), "abc-123");
    co_await c->close();
  });
}

// More keep-alive connections than ring buffers, each request arriving in one buffer with its
// body ending at the buffer's end: an idle connection must not keep its spent buffer, or the
// first few would hold the whole ring and the rest could never be read.
TEST(HttpServer, IdleKeepAliveConnectionsHoldNoBuffers) {
  ReactorOptions few;
  few.recv_buffer_count = 4;
  few.recv_buffer_size = 4096;
  with_server(
      [](Reactor& r, HttpServer& s) -> Task<void> {
        constexpr int kConns = 12;
        std::vector<std::unique_ptr<RawHttpClient>> clients;
        for (int i = 0; i < kConns; ++i) {
          clients.push_back(co_await client(r, s));
          clients.back()->stream().use_private_buffer(4096);  // the ring is the server's
        }
        for (int round = 0; round < 2; ++round) {
          for (auto& c : clients)
            (void)co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
          int ok = 0;
          for (auto& c : clients) {
            auto resp = co_await c->read_response();
            if (resp.ok() && resp->status == 200 && resp->body.find("\"size\":5") != std::string::npos) ++ok;
          }
          EXPECT_EQ(ok, kConns) << "round " << round;
        }
        EXPECT_EQ(r.buffers().in_use(), 0u);
        for (auto& c : clients) co_await c->close();
      },
      patient_options(), few);
}

TEST(HttpServer, PipelinedRequestsAnsweredInOrder) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    (void)co_await c->send(
        "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        "GET /items/42 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto a = co_await c->read_response();
    auto b = co_await c->read_response();
    auto d = co_await c->read_response();
    EXPECT_TRUE(a.ok() && b.ok() && d.ok());
    if (!(a.ok() && b.ok() && d.ok())) co_return;
    EXPECT_EQ(a->body, "{\"slow\":true}");
    EXPECT_NE(b->body.find("\"size\":3"), std::string::npos);
    EXPECT_EQ(d->body, "{\"path\":\"/items/42\"}");
    co_await c->close();
  });
}

TEST(HttpServer, LargeContentLengthAndChunkedBodies) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    std::string body(10 << 20, '\0');
    uint64_t sum = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      body[i] = static_cast<char>(i * 7 % 253);
      sum = sum * 31 + static_cast<unsigned char>(body[i]);
    }
    (void)co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n" + body);
    auto resp = co_await c->read_response();
    EXPECT_TRUE(resp.ok());
    if (!resp.ok()) co_return;
    EXPECT_EQ(resp->body, "{\"size\":10485760,\"sum\":" + std::to_string(sum) + "}");
    (void)co_await c->send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
    auto chunked = co_await c->read_response();
    EXPECT_NE(chunked->body.find("\"size\":11"), std::string::npos);
    co_await c->close();
  }, patient_options());
}

TEST(HttpServer, ExpectContinueSentOnlyWhenBodyIsRead) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    (void)co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    auto cont = co_await c->read_response();
    EXPECT_TRUE(cont.ok());
    if (!cont.ok()) co_return;
    EXPECT_EQ(cont->status, 100);
    (void)co_await c->send("data");
    auto final_resp = co_await c->read_response();
    EXPECT_EQ(final_resp->status, 200);
    EXPECT_NE(final_resp->body.find("\"size\":4"), std::string::npos);

    // A refusing handler never asks for the body: no 100, a final 403, and the connection closes.
    auto c2 = co_await client(r, s);
    (void)co_await c2->send(
        "PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n\r\n");
    auto refused = co_await c2->read_response();
    EXPECT_TRUE(refused.ok());
    if (!refused.ok()) co_return;
    EXPECT_EQ(refused->status, 403);
    EXPECT_EQ(refused->header("connection"), "close");
    EXPECT_NE(refused->body.find("\"code\":\"forbidden\""), std::string::npos);
    EXPECT_TRUE(co_await c2->wait_closed());
    co_await c->close();
    co_await c2->close();
  });
}

struct Case {
  std::string request;
  int status;
};

Task<void> expect_refused(Reactor& r, HttpServer& s, std::string request, int status) {
  auto c = co_await client(r, s);
  (void)co_await c->send(request);
  auto resp = co_await c->read_response();
  EXPECT_TRUE(resp.ok()) << request.substr(0, 80);
  if (resp.ok()) {
    EXPECT_EQ(resp->status, status) << request.substr(0, 80);
    EXPECT_EQ(resp->header("content-type"), "application/json");
    EXPECT_NE(resp->body.find("\"error\""), std::string::npos);
    EXPECT_EQ(resp->header("connection"), "close");
  }
  EXPECT_TRUE(co_await c->wait_closed()) << request.substr(0, 80);
  co_await c->close();
}

TEST(HttpServer, LimitsAndSmugglingRefused) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    std::string many_headers = "GET /hello HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 101; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
    many_headers += "\r\n";
    std::string big_head = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n";
    std::string long_url = "GET /" + std::string(9000, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    co_await expect_refused(r, s, many_headers, 431);
    co_await expect_refused(r, s, big_head, 431);
    co_await expect_refused(r, s, long_url, 414);
    co_await expect_refused(r, s,
                            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\n0\r\n\r\n",
                            400);
    co_await expect_refused(r, s, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                            400);
    co_await expect_refused(r, s, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx", 400);
    co_await expect_refused(r, s, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                            400);
    co_await expect_refused(r, s, "GARBAGE\r\n\r\n", 400);
    co_await expect_refused(r, s, "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", 400);
    co_await expect_refused(r, s, "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413);
    std::string chunked_big = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked_big += "190\r\n" + std::string(400, 'z') + "\r\n";
    chunked_big += "0\r\n\r\n";
    co_await expect_refused(r, s, chunked_big, 413);
  });
}

// RFC 9112: no Host, a repeated Host, or an obs-fold line is a malformed request: a JSON 400
// and the connection closed (all three were answered 200 before).
TEST(HttpServer, MissingHostRepeatedHostAndObsFoldRefused) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    co_await expect_refused(r, s, "GET /hello HTTP/1.1\r\n\r\n", 400);
    co_await expect_refused(r, s, "GET /hello HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400);
    co_await expect_refused(r, s, "GET /hello HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", 400);
    co_await expect_refused(r, s, "GET /hello HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n", 400);
    // The same requests, well formed, are answered.
    auto c = co_await client(r, s);
    (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: one two\r\n\r\n");
    auto ok = co_await c->read_response();
    EXPECT_TRUE(ok.ok());
    if (ok.ok()) {
      EXPECT_EQ(ok->status, 200);
    }
    co_await c->close();
  });
}

// ServerOptions::max_connections: a connection beyond the cap gets a JSON 503 with
// Retry-After and is closed without its request being read; freed room is usable again.
TEST(HttpServer, ConnectionsBeyondTheCapGet503AndClose) {
  ServerOptions o = patient_options();
  o.max_connections = 2;
  with_server(
      [](Reactor& r, HttpServer& s) -> Task<void> {
        auto a = co_await client(r, s);
        auto b = co_await client(r, s);
        for (int k = 0; k < 2; ++k) {
          RawHttpClient* c = k == 0 ? a.get() : b.get();
          (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
          auto ok = co_await c->read_response();
          EXPECT_TRUE(ok.ok() && ok->status == 200);
        }
        EXPECT_EQ(s.stats().connections_open, 2u);
        // One that waits for the answer, one that has already sent its request.
        for (int k = 0; k < 2; ++k) {
          bool sends_first = k == 1;
          auto c = co_await client(r, s);
          if (sends_first) (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
          auto refused = co_await c->read_response();
          EXPECT_TRUE(refused.ok()) << sends_first;
          if (refused.ok()) {
            EXPECT_EQ(refused->status, 503);
            EXPECT_EQ(refused->header("retry-after"), "1");
            EXPECT_EQ(refused->header("content-type"), "application/json");
            EXPECT_EQ(refused->header("connection"), "close");
            EXPECT_FALSE(refused->header("x-request-id").empty());
            EXPECT_NE(refused->body.find("\"too_many_connections\""), std::string::npos);
          }
          EXPECT_TRUE(co_await c->wait_closed());
          co_await c->close();
        }
        EXPECT_EQ(s.stats().connections_refused, 2u);
        EXPECT_EQ(s.stats().connections_accepted, 2u);
        // Room again once one closes.
        co_await a->close();
        for (int i = 0; i < 200 && s.stats().connections_open > 1; ++i)
          co_await SleepUntil(r, deadline_after(5ms));
        EXPECT_EQ(s.stats().connections_open, 1u);
        auto d = co_await client(r, s);
        (void)co_await d->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        auto ok = co_await d->read_response();
        EXPECT_TRUE(ok.ok() && ok->status == 200);
        co_await d->close();
        co_await b->close();
      },
      o);
}

TEST(HttpServer, NotFoundAndMethodNotAllowed) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    (void)co_await c->send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    auto nf = co_await c->read_response();
    EXPECT_EQ(nf->status, 404);
    EXPECT_NE(nf->body.find("not_found"), std::string::npos);
    (void)co_await c->send("PUT /items/7 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    auto na = co_await c->read_response();
    EXPECT_EQ(na->status, 405);
    EXPECT_EQ(na->header("allow"), "GET, DELETE");
    (void)co_await c->send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto head = co_await c->read_response(5s, /*head_only=*/true);  // HEAD: the GET's length, no body
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("content-length"), "17");
    (void)co_await c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto after = co_await c->read_response();
    EXPECT_EQ(after->body, "{\"path\":\"/hello\"}");
    co_await c->close();
  });
}

TEST(HttpServer, ChunkedStreamingResponse) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    auto c = co_await client(r, s);
    (void)co_await c->send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    auto resp = co_await c->read_response();
    EXPECT_TRUE(resp.ok());
    if (!resp.ok()) co_return;
    EXPECT_EQ(resp->header("transfer-encoding"), "chunked");
    EXPECT_EQ(resp->body, "alpha-beta-gamma");
    co_await c->close();
  });
}

TEST(HttpServer, Timeouts) {
  with_server([](Reactor& r, HttpServer& s) -> Task<void> {
    // Half a head, then silence: 408 after the header timeout.
    auto c = co_await client(r, s);
    (void)co_await c->send("GET /hello HTTP/1.1\r\nHo");
    auto start = Clock::now();
    auto resp = co_await c->read_response();
    EXPECT_TRUE(resp.ok());
    if (resp.ok()) {
      EXPECT_EQ(resp->status, 408);
    }
    EXPECT_GE(Clock::now() - start, 250ms);
    EXPECT_TRUE(co_await c->wait_closed());
    co_await c->close();

    // Idle keep-alive connection: closed quietly.
    auto idle = co_await client(r, s);
    (void)co_await idle->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    (void)co_await idle->read_response();
    start = Clock::now();
    EXPECT_TRUE(co_await idle->wait_closed());
    EXPECT_GE(Clock::now() - start, 250ms);
    co_await idle->close();

    // Body stops arriving: 408.
    auto body = co_await client(r, s);
    (void)co_await body->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    auto late = co_await body->read_response();
    EXPECT_TRUE(late.ok());
    if (late.ok()) {
      EXPECT_EQ(late->status, 408);
    }
    co_await body->close();
  });
}

TEST(HttpServer, DrainClosesIdleAndFinishesInFlight) {
  Router router = make_router();
  run_reactor([&router](Reactor& r) -> Task<void> {
    ServerOptions o = fast_options();
    o.keepalive_timeout = 60s;
    HttpServer s(r, router, o);
    EXPECT_TRUE(s.listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    auto idle = co_await client(r, s);
    (void)co_await idle->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    (void)co_await idle->read_response();
    auto busy = co_await client(r, s);
    (void)co_await busy->send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await SleepUntil(r, deadline_after(20ms));  // let the slow request start
    auto start = Clock::now();
    bool drained = false;
    spawn([](HttpServer& srv, bool& done) -> Task<void> {
      co_await srv.drain(5s);
      done = true;
    }(s, drained));
    EXPECT_TRUE(co_await idle->wait_closed(1s));
    auto resp = co_await busy->read_response();
    EXPECT_TRUE(resp.ok());
    if (resp.ok()) {
      EXPECT_EQ(resp->status, 200);
      EXPECT_EQ(resp->header("connection"), "close");
    }
    while (!drained) co_await SleepUntil(r, deadline_after(5ms));
    EXPECT_LT(Clock::now() - start, 2s);
    EXPECT_EQ(s.connections(), 0u);
    co_await idle->close();
    co_await busy->close();
  });
}

// A load balancer connects, the server starts draining, then the request arrives: it is served
// (with Connection: close), not dropped; a connection that never sends closes after the grace.
TEST(HttpServer, DrainServesTheFirstRequestOfAConnectionAcceptedBeforeIt) {
  Router router = make_router();
  run_reactor([&router](Reactor& r) -> Task<void> {
    ServerOptions o = fast_options();
    o.header_timeout = 60s;
    HttpServer s(r, router, o);
    EXPECT_TRUE(s.listen(*SocketAddress::parse("127.0.0.1:0")).ok());
    auto late = co_await client(r, s);
    auto silent = co_await client(r, s);
    while (s.connections() < 2) co_await SleepUntil(r, deadline_after(5ms));  // both accepted
    bool drained = false;
    spawn([](HttpServer& srv, bool& done) -> Task<void> {
      co_await srv.drain(5s);
      done = true;
    }(s, drained));
    co_await SleepUntil(r, deadline_after(100ms));
    EXPECT_FALSE(drained);
    (void)co_await late->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto resp = co_await late->read_response();
    EXPECT_TRUE(resp.ok());
    if (resp.ok()) {
      EXPECT_EQ(resp->status, 200);
      EXPECT_EQ(resp->header("connection"), "close");
    }
    EXPECT_TRUE(co_await late->wait_closed(1s));
    EXPECT_TRUE(co_await silent->wait_closed(3s));  // the grace is a second, not the header timeout
    while (!drained) co_await SleepUntil(r, deadline_after(5ms));
    EXPECT_EQ(s.connections(), 0u);
    co_await late->close();
    co_await silent->close();
  });
}

}  // namespace
}  // namespace sluice
