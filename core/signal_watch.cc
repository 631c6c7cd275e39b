#include "core/signal_watch.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {

Result<SignalWatch> SignalWatch::create(bool hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (hangup) sigaddset(&set, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return errno_error("pthread_sigmask", errno);
  signal(SIGPIPE, SIG_IGN);  // a dead peer is an error value, not a process kill
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return errno_error("signalfd", errno);
  return SignalWatch(fd);
}

SignalWatch::~SignalWatch() {
  if (fd_ >= 0) ::close(fd_);
}

Task<int> SignalWatch::next(Reactor& r) {
  signalfd_siginfo info{};
  int fd = fd_;
  int res = co_await IoOp(r, [&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &info, sizeof info, 0); });
  if (res < 0) co_return res;
  co_return static_cast<int>(info.ssi_signo);
}

}  // namespace sluice

namespace sluice {

void SignalWatch::cancel(Reactor& r) {
  io_uring_sqe* sqe = r.get_sqe();
  io_uring_prep_cancel_fd(sqe, fd_, 0);
  io_uring_sqe_set_data64(sqe, 0);
}

}  // namespace sluice
