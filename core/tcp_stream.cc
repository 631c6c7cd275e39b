#include "core/tcp_stream.h"

#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {

TcpStream::TcpStream(Reactor& r, int fd) : r_(r), fd_(fd) {}

TcpStream::~TcpStream() {
  r_.cancel_timer(*this);
  // A read still in flight here would complete into freed memory; close() must have run.
  if (op_ != Op::none) std::abort();
  r_.buffers().stop_waiting(*this);
  for (size_t i = head_; i < queue_.size(); ++i)
    if (queue_[i].bid != kPrivateBuffer) r_.buffers().give_back(queue_[i].bid);
  if (fd_ >= 0) ::close(fd_);
}

void TcpStream::use_private_buffer(size_t bytes) {
  private_size_ = static_cast<uint32_t>(bytes);
  private_ = std::make_unique<char[]>(bytes);
}

char* TcpStream::buffer_data(uint16_t) { return private_.get(); }

void TcpStream::give_back(uint16_t) {
  private_busy_ = false;
  if (reader_ || queued_buffers() < window_) want_data(reader_ != nullptr);
}

Task<Result<std::unique_ptr<TcpStream>>> TcpStream::connect(Reactor& r, SocketAddress addr, Deadline d) {
  // Not O_NONBLOCK: io_uring then waits for readiness itself instead of handing back EAGAIN.
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return errno_error("socket", errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int res = co_await IoOp(r, [&](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, fd, addr.get(), addr.size()); }, d);
  if (res < 0) {
    ::close(fd);
    co_return errno_error("connect to " + addr.to_string(), res);
  }
  co_return std::make_unique<TcpStream>(r, fd);
}

void TcpStream::want_data(bool reader_waiting) {
  if (op_ != Op::none || waiting_for_claim() || eof_ || err_ != 0 || closing_) return;
  if (private_) {
    if (private_busy_) return;  // re-armed when the reader gives the buffer back
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_recv(sqe, fd_, private_.get(), private_size_, 0);
    io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
    op_ = Op::recv;
    private_busy_ = true;
    return;
  }
  if (r_.buffers().try_claim(*this)) {
    arm_recv();
    return;
  }
  // Read ahead only with a buffer to spare. A reader in the middle of a body almost surely has
  // data coming: it queues for a claim at once; others first wait for data without holding one.
  if (!reader_waiting) return;
  if (urgent_) r_.buffers().wait_for_claim(*this, true);
  else arm_poll();
}

void TcpStream::claim_when_readable() {
  if (r_.buffers().try_claim(*this)) {
    arm_recv();
    return;
  }
  // The peer has sent: from here the wait is ours, not the peer's, so its read deadline (a
  // header or body timeout) stops counting. Buffers keep cycling, so the claim comes.
  r_.cancel_timer(*this);
  r_.buffers().wait_for_claim(*this, urgent_);
}

void TcpStream::arm_recv() {
  io_uring_sqe* sqe = r_.get_sqe();
  io_uring_prep_recv(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BufferRing::kGroupId;
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  op_ = Op::recv;
}

void TcpStream::arm_poll() {
  io_uring_sqe* sqe = r_.get_sqe();
  io_uring_prep_poll_add(sqe, fd_, POLLIN);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  op_ = Op::poll;
}

void TcpStream::cancel_op() {
  if (op_ == Op::none || cancel_sent_) return;
  io_uring_sqe* sqe = r_.get_sqe();
  io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(static_cast<Completion*>(this)), 0);
  io_uring_sqe_set_data64(sqe, 0);
  cancel_sent_ = true;
}

void TcpStream::claim_granted() { arm_recv(); }

void TcpStream::claim_revoked() { cancel_op(); }

void TcpStream::wait_recv(std::coroutine_handle<> h, Deadline d) {
  reader_ = h;
  if (d != kNoDeadline) r_.add_timer(*this, d);
  want_data(true);
}

Result<RecvBuffer> TcpStream::take_recv() {
  if (head_ < queue_.size()) {
    Queued q = queue_[head_++];
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
    }
    // Keep data flowing while the reader works on this chunk, within the window.
    if (queued_buffers() < window_) want_data(false);
    if (q.bid == kPrivateBuffer) return RecvBuffer(static_cast<BufferOwner*>(this), q.bid, q.len);
    return RecvBuffer(&r_.buffers(), q.bid, q.len);
  }
  if (interrupted_) return Error(Errc::cancelled, "connection interrupted (server shutting down)");
  if (timed_out_) {
    timed_out_ = false;
    return Error(Errc::timeout, "timed out waiting for data from the peer");
  }
  if (err_ != 0) return errno_error("recv", err_);
  return Error(Errc::closed, "peer closed the connection");
}

void TcpStream::wake_reader() {
  if (!reader_) return;
  r_.cancel_timer(*this);
  std::exchange(reader_, {}).resume();
}

void TcpStream::complete(int res, uint32_t flags) {
  Op op = std::exchange(op_, Op::none);
  cancel_sent_ = false;
  if (op == Op::recv) {
    recv_completed(res, flags);
  } else if (res < 0 && res != -ECANCELED) {
    err_ = -res;  // the poll itself failed
  }
  if (closing_) {
    if (closer_) std::exchange(closer_, {}).resume();
    return;
  }
  if (op == Op::poll && res >= 0 && reader_ && queued_buffers() == 0) claim_when_readable();
  if (recv_ready()) wake_reader();
}

void TcpStream::recv_completed(int res, uint32_t flags) {
  if (private_) {
    if (res > 0) queue_.push_back({kPrivateBuffer, static_cast<uint32_t>(res)});
    else private_busy_ = false;
  } else {
    r_.buffers().claim_spent(*this, res > 0);
    if (res > 0)
      queue_.push_back({static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT), static_cast<uint32_t>(res)});
  }
  if (res == 0) {
    eof_ = true;
  } else if (res == -ECANCELED || res == -ENOBUFS) {
    // Revoked while idle (or, should the ring ever be short, left without a buffer): wait for
    // data again without holding a claim.
    if (reader_ && queued_buffers() == 0 && !closing_) arm_poll();
  } else if (res < 0) {
    err_ = -res;
  }
}

void TcpStream::interrupt_reader() {
  interrupted_ = true;
  if (!reader_) return;
  r_.cancel_timer(*this);
  r_.schedule(std::exchange(reader_, {}));  // not inline: the caller may be iterating a list
}

void TcpStream::fire() {
  timed_out_ = true;
  if (reader_) std::exchange(reader_, {}).resume();
}

Task<Status> TcpStream::send_all(std::span<const char> data, Deadline d) {
  while (!data.empty()) {
    int res = co_await IoOp(
        r_, [&](io_uring_sqe* sqe) { io_uring_prep_send(sqe, fd_, data.data(), data.size(), MSG_NOSIGNAL); }, d);
    if (res < 0) co_return errno_error("send", res);
    if (res == 0) co_return Error(Errc::closed, "peer stopped accepting data");
    data = data.subspan(static_cast<size_t>(res));
  }
  co_return Status();
}

Task<Status> TcpStream::send_all(std::vector<iovec> pieces, Deadline d) {
  size_t first = 0;
  while (first < pieces.size()) {
    if (pieces[first].iov_len == 0) {
      ++first;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = pieces.data() + first;
    msg.msg_iovlen = pieces.size() - first;
    int res = co_await IoOp(r_, [&](io_uring_sqe* sqe) { io_uring_prep_sendmsg(sqe, fd_, &msg, MSG_NOSIGNAL); }, d);
    if (res < 0) co_return errno_error("sendmsg", res);
    if (res == 0) co_return Error(Errc::closed, "peer stopped accepting data");
    size_t sent = static_cast<size_t>(res);
    while (sent > 0 && first < pieces.size()) {
      if (sent >= pieces[first].iov_len) {
        sent -= pieces[first].iov_len;
        ++first;
      } else {
        pieces[first].iov_base = static_cast<char*>(pieces[first].iov_base) + sent;
        pieces[first].iov_len -= sent;
        sent = 0;
      }
    }
  }
  co_return Status();
}

void TcpStream::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

struct CloseWait {
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
  void await_resume() const noexcept {}
};

Task<void> TcpStream::close() {
  closing_ = true;
  r_.cancel_timer(*this);
  r_.buffers().stop_waiting(*this);
  cancel_op();
  if (op_ != Op::none) co_await CloseWait{closer_};
  for (size_t i = head_; i < queue_.size(); ++i)
    if (queue_[i].bid != kPrivateBuffer) r_.buffers().give_back(queue_[i].bid);
  queue_.clear();
  head_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sluice
