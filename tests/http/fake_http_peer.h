// Test support: a scripted HTTP/1.1 server on loopback (TcpListener + TcpStream) for client
// and S3 store fault tests. Each request takes the next action of the script (the last one
// repeats): answer with canned bytes, close in the middle of the request body, or stall.
#pragma once

#include <algorithm>
#include <cctype>
#include <coroutine>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "core/tcp_listener.h"
#include "core/tcp_stream.h"

namespace sluice::testing {

struct PeerAction {
  enum class Kind {
    reply,            // read the whole request, send `reply` (then close if close_after)
    close_mid_body,   // read the head and `body_bytes` body bytes, then close
    stall,            // read the whole request, never answer
    stall_unread,     // read the head only, then stop reading (the sender's window fills)
  };
  Kind kind = Kind::reply;
  std::string reply;
  size_t body_bytes = 0;
  bool close_after = false;

  static PeerAction respond(std::string bytes, bool close_after = false) {
    return PeerAction{Kind::reply, std::move(bytes), 0, close_after};
  }
  static PeerAction close_in_body(size_t after) { return PeerAction{Kind::close_mid_body, {}, after, false}; }
  static PeerAction hang() { return PeerAction{Kind::stall, {}, 0, false}; }
  static PeerAction stop_reading() { return PeerAction{Kind::stall_unread, {}, 0, false}; }
};

// "HTTP/1.1 <status> X\r\nContent-Length: n\r\n<extra>\r\n<body>"
inline std::string http_reply(int status, std::string_view body, std::string_view extra_headers = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n";
  r.append(extra_headers);
  r.append("\r\n");
  r.append(body);
  return r;
}

struct SeenRequest {
  std::string head;
  uint64_t body_bytes = 0;
  uint64_t body_sum = 0;  // sum of the body bytes (as unsigned char), to check content cheaply
  bool complete = false;  // the whole declared body arrived
};

class FakeHttpPeer {
 public:
  explicit FakeHttpPeer(Reactor& r, std::vector<PeerAction> script) : r_(r), script_(std::move(script)) {
    auto l = TcpListener::bind(r, *SocketAddress::parse("127.0.0.1:0"));
    if (!l) std::abort();
    listener_ = std::move(*l);
    listener_->start([this](int fd) {
      ++accepted_;
      auto s = std::make_unique<TcpStream>(r_, fd);
      TcpStream* raw = s.get();
      streams_.push_back(std::move(s));
      spawn(serve(this, raw), &group_);
    });
  }

  uint16_t port() const { return listener_->port(); }
  SocketAddress address() const { return *SocketAddress::parse("127.0.0.1:" + std::to_string(port())); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  int accepted() const { return accepted_; }
  const std::vector<SeenRequest>& requests() const { return seen_; }
  void set_script(std::vector<PeerAction> script) {
    script_ = std::move(script);
    next_ = 0;
  }

  // Stops listening, wakes every handler and waits for them.
  Task<void> stop() {
    co_await listener_->stop();
    for (auto h : stop_waiters_) r_.schedule(h);
    stop_waiters_.clear();
    for (auto& s : streams_) s->interrupt_reader();
    co_await group_.wait();
    for (auto& s : streams_) co_await s->close();
    streams_.clear();
  }

 private:
  const PeerAction& next_action() {
    const PeerAction& a = script_[std::min(next_, script_.size() - 1)];
    ++next_;
    return a;
  }

  static Task<void> serve(FakeHttpPeer* self, TcpStream* s) {
    std::string pending;
    auto far = [] { return deadline_after(std::chrono::seconds(60)); };
    for (;;) {
      size_t end;
      while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
        auto b = co_await s->recv(far());
        if (!b) co_return;
        pending.append(b->bytes().data(), b->size());
      }
      SeenRequest req;
      req.head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      uint64_t length = 0;
      std::string lower = req.head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto p = lower.find("content-length:"); p != std::string::npos) {
        length = std::strtoull(lower.c_str() + p + 15, nullptr, 10);
      }
      if (req.head.rfind("HEAD ", 0) == 0) length = 0;
      PeerAction action = self->next_action();
      self->seen_.push_back(req);
      size_t index = self->seen_.size() - 1;
      if (action.kind == PeerAction::Kind::stall_unread) {
        s->set_recv_window(1);
        co_await StopWait{self};
        co_return;
      }
      uint64_t limit = action.kind == PeerAction::Kind::close_mid_body ? std::min<uint64_t>(length, action.body_bytes)
                                                                        : length;
      auto take = [&](std::string_view bytes) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), limit - self->seen_[index].body_bytes));
        for (size_t i = 0; i < n; ++i) self->seen_[index].body_sum += static_cast<unsigned char>(bytes[i]);
        self->seen_[index].body_bytes += n;
        return n;
      };
      size_t used = take(pending);
      pending.erase(0, used);
      while (self->seen_[index].body_bytes < limit) {
        auto b = co_await s->recv(far());
        if (!b) co_return;
        std::string_view bytes(b->bytes().data(), b->size());
        size_t n = take(bytes);
        pending.append(bytes.substr(n));
      }
      self->seen_[index].complete = self->seen_[index].body_bytes == length;
      if (action.kind == PeerAction::Kind::close_mid_body) {
        co_await s->close();  // unread bytes make the kernel send a reset
        co_return;
      }
      if (action.kind == PeerAction::Kind::stall) {
        (void)co_await SleepUntilInterrupted(*s);
        co_return;
      }
      auto st = co_await s->send_all(std::span<const char>(action.reply.data(), action.reply.size()), far());
      if (!st || action.close_after) {
        s->shutdown_write();
        co_return;
      }
    }
  }

  struct StopWait {
    FakeHttpPeer* self;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { self->stop_waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };

  // Waits until the client goes away or the peer stops (a recv that ends in close/cancel),
  // dropping whatever arrives meanwhile.
  static Task<bool> SleepUntilInterrupted(TcpStream& s) {
    for (;;) {
      auto b = co_await s.recv(deadline_after(std::chrono::seconds(120)));
      if (!b) co_return false;
    }
  }

  Reactor& r_;
  std::vector<PeerAction> script_;
  size_t next_ = 0;
  std::unique_ptr<TcpListener> listener_;
  std::vector<std::unique_ptr<TcpStream>> streams_;
  std::vector<SeenRequest> seen_;
  TaskGroup group_;
  std::vector<std::coroutine_handle<>> stop_waiters_;
  int accepted_ = 0;
};

}  // namespace sluice::testing
