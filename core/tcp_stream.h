// TcpStream: a connected socket on one reactor. Receives into the core's provided-buffer ring,
// with one single-shot recv in flight at most while fewer than `recv_window` buffers wait
// unread, so a slow reader stops the socket being read (the kernel buffer fills, the peer's
// window closes). A recv is armed only with a claim on a free ring buffer (see BufferRing);
// without one, the stream polls for readability and then queues for a claim. (Multishot recv
// is not used: a busy multishot is re-issued by the kernel while data is there, so it cannot
// be bounded by a window or a claim.) Sends handle partial writes.
#pragma once

#include <sys/uio.h>

#include <coroutine>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/buffer_ring.h"
#include "core/clock.h"
#include "core/completion.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/timer_queue.h"

namespace sluice {

class TcpStream final : private Completion, private BufferClaimant, private TimerEntry, private BufferOwner {
 public:
  TcpStream(Reactor& r, int fd);
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  static Task<Result<std::unique_ptr<TcpStream>>> connect(Reactor& r, SocketAddress addr, Deadline d);

  class RecvAwaiter {
   public:
    RecvAwaiter(TcpStream& s, Deadline d) : s_(s), d_(d) {}
    bool await_ready() const noexcept { return s_.recv_ready(); }
    void await_suspend(std::coroutine_handle<> h) { s_.wait_recv(h, d_); }
    Result<RecvBuffer> await_resume() { return s_.take_recv(); }

   private:
    TcpStream& s_;
    Deadline d_;
  };
  // The next received chunk; Errc::closed at end of stream, Errc::timeout past `d`. `urgent`:
  // the reader is in the middle of a message (a request body), so when ring buffers are
  // scarce it is served before connections waiting to start one.
  RecvAwaiter recv(Deadline d = kNoDeadline, bool urgent = false) {
    urgent_ = urgent;
    return RecvAwaiter(*this, d);
  }

  Task<Status> send_all(std::span<const char> data, Deadline d = kNoDeadline);
  // Gathers several pieces into as few sends as possible (sendmsg), handling partial writes.
  Task<Status> send_all(std::vector<iovec> pieces, Deadline d = kNoDeadline);

  // Stops receiving, gives queued buffers back, closes the socket. Must be awaited before the
  // stream is destroyed if anything was ever received.
  Task<void> close();
  // Half-closes the write side (FIN) so the peer sees the end of what we sent.
  void shutdown_write();

  // Makes a pending or future recv() return Errc::cancelled (used to close idle connections
  // on shutdown).
  void interrupt_reader();

  void set_recv_window(unsigned buffers) { window_ = buffers ? buffers : 1; }
  // Receive into a buffer of this stream's own instead of the shared ring. For the connections
  // the service itself depends on (Redis, S3): when thousands of client uploads hold every ring
  // buffer, the replies those uploads wait for must still be readable.
  void use_private_buffer(size_t bytes);
  int fd() const { return fd_; }
  Reactor& reactor() { return r_; }
  bool at_eof() const { return eof_ && head_ == queue_.size(); }
  size_t queued_buffers() const { return queue_.size() - head_; }

 private:
  enum class Op : uint8_t { none, recv, poll };  // what is in flight for the read side
  struct Queued {
    uint16_t bid;
    uint32_t len;
  };

  bool recv_ready() const { return head_ < queue_.size() || eof_ || err_ != 0 || timed_out_ || interrupted_; }
  void wait_recv(std::coroutine_handle<> h, Deadline d);
  Result<RecvBuffer> take_recv();
  // Arms a read if none is in flight: a recv if a buffer can be claimed; otherwise, when the
  // reader is waiting, a readability poll (or a queued claim, in the middle of a body).
  void want_data(bool reader_waiting);
  void claim_when_readable();
  void arm_recv();
  void arm_poll();
  void cancel_op();
  void wake_reader();

  void complete(int res, uint32_t flags) override;   // recv and poll completions
  void recv_completed(int res, uint32_t flags);
  char* buffer_data(uint16_t id) override;
  void give_back(uint16_t id) override;              // the private buffer is free again
  static constexpr uint16_t kPrivateBuffer = 0xFFFF;
  void claim_granted() override;
  void claim_revoked() override;
  void fire() override;                              // read deadline passed

  Reactor& r_;
  int fd_;
  Op op_ = Op::none;
  bool cancel_sent_ = false;
  bool urgent_ = false;
  bool eof_ = false;
  bool timed_out_ = false;
  bool closing_ = false;
  bool interrupted_ = false;
  bool private_busy_ = false;  // the private buffer is queued or held by the reader
  std::unique_ptr<char[]> private_;
  uint32_t private_size_ = 0;
  int err_ = 0;
  unsigned window_ = 4;
  size_t head_ = 0;
  std::vector<Queued> queue_;
  std::coroutine_handle<> reader_;
  std::coroutine_handle<> closer_;
};

}  // namespace sluice
