// TcpListener: a listening socket on one core (SO_REUSEPORT, so every core has its own and the
// kernel spreads connections) with a multishot accept that hands each new fd to a callback.
#pragma once

#include <coroutine>
#include <functional>
#include <memory>

#include "core/completion.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/timer_queue.h"

namespace sluice {

class TcpListener final : private Completion, private TimerEntry {
 public:
  static Result<std::unique_ptr<TcpListener>> bind(Reactor& r, const SocketAddress& addr, int backlog = 4096);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }
  // Starts accepting; `on_accept(fd)` runs on this reactor for each new connection.
  void start(std::function<void(int fd)> on_accept);
  // Stops accepting and closes the socket; new connections are refused by the kernel.
  Task<void> stop();

 private:
  TcpListener(Reactor& r, int fd, uint16_t port) : r_(r), fd_(fd), port_(port) {}
  void arm();
  void complete(int res, uint32_t flags) override;
  void fire() override;  // retry after running out of fds

  Reactor& r_;
  int fd_;
  uint16_t port_;
  bool armed_ = false;
  bool stopping_ = false;
  std::function<void(int)> on_accept_;
  std::coroutine_handle<> stopper_;
};

}  // namespace sluice
