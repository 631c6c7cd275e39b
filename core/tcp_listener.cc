#include "core/tcp_listener.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/log.h"

namespace sluice {

Result<std::unique_ptr<TcpListener>> TcpListener::bind(Reactor& r, const SocketAddress& addr, int backlog) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, addr.get(), addr.size()) < 0) {
    int e = errno;
    ::close(fd);
    return errno_error("bind " + addr.to_string(), e);
  }
  if (::listen(fd, backlog) < 0) {
    int e = errno;
    ::close(fd);
    return errno_error("listen", e);
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  auto bound = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return std::unique_ptr<TcpListener>(new TcpListener(r, fd, bound.port()));
}

TcpListener::~TcpListener() {
  r_.cancel_timer(*this);
  if (armed_) std::abort();  // stop() must be awaited first
  if (fd_ >= 0) ::close(fd_);
}

void TcpListener::start(std::function<void(int)> on_accept) {
  on_accept_ = std::move(on_accept);
  arm();
}

void TcpListener::arm() {
  if (armed_ || stopping_) return;
  io_uring_sqe* sqe = r_.get_sqe();
  // Accepted sockets stay blocking: io_uring polls for them (O_NONBLOCK would surface EAGAIN).
  io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  armed_ = true;
}

void TcpListener::complete(int res, uint32_t flags) {
  if (!(flags & IORING_CQE_F_MORE)) armed_ = false;
  if (res >= 0) {
    if (stopping_) {
      ::close(res);
    } else {
      int one = 1;
      setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      on_accept_(res);
    }
  } else if (res != -ECANCELED) {
    log_event(LogLevel::warn, "accept_failed", {{"error", errno_error("accept", res).message}});
    if (!armed_ && !stopping_) {  // e.g. out of fds: back off briefly instead of spinning
      r_.add_timer(*this, Clock::now() + std::chrono::milliseconds(100));
      return;
    }
  }
  if (!armed_) {
    if (stopping_) {
      if (stopper_) std::exchange(stopper_, {}).resume();
    } else {
      arm();
    }
  }
}

void TcpListener::fire() { arm(); }

struct ListenerStopWait {
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
  void await_resume() const noexcept {}
};

Task<void> TcpListener::stop() {
  stopping_ = true;
  r_.cancel_timer(*this);
  if (armed_) {
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(static_cast<Completion*>(this)), 0);
    io_uring_sqe_set_data64(sqe, 0);
    co_await ListenerStopWait{stopper_};
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sluice
