#include "tools/load/upload_client.h"

#include <cstdlib>

namespace sluice::load {

namespace {
const RequestBody kNoBody{};
}

UploadClient::~UploadClient() {
  // A stream must be closed by close() on its reactor before it is destroyed.
  if (stream_) std::abort();
}

Task<Status> UploadClient::connect(Duration* took) {
  if (stream_) co_return Status();
  Deadline start = Clock::now();
  auto s = co_await TcpStream::connect(r_, config_.address, deadline_after(config_.timeout));
  if (!s.ok()) co_return std::move(s).error();
  *took = Clock::now() - start;
  stream_ = std::move(*s);
  stream_->set_recv_window(2);
  reader_.reset();
  reusable_ = true;
  co_return Status();
}

Task<void> UploadClient::close() {
  if (!stream_) co_return;
  co_await stream_->close();
  stream_.reset();
  reader_.reset();
}

Task<Status> UploadClient::send_rest(BodyCursor& cursor, Exchange& x) {
  while (!cursor.done()) {
    cursor.next_batch(config_.send_batch, iov_);
    uint64_t n = 0;
    for (const iovec& v : iov_) n += v.iov_len;
    auto st = co_await stream_->send_all(iov_, deadline_after(config_.timeout));
    if (!st) co_return st;
    cursor.advance(n);
    x.wire_bytes += n;
  }
  co_return Status();
}

Task<Status> UploadClient::read_final(Exchange& x, size_t keep, PatternVerifier* verifier, bool have_head) {
  if (!have_head) {
    for (;;) {
      Deadline first{};
      auto h = co_await reader_.read_head(*stream_, config_.timeout, &first);
      if (!h) co_return std::move(h).error();
      if (x.first_response == Deadline{}) x.first_response = first;
      if (h->status >= 200) {
        x.head = std::move(*h);
        x.final_first_byte = first;
        break;
      }
      if (h->status == 101) co_return Error(Errc::protocol_error, "unexpected 101 Switching Protocols");
    }
  }
  auto n = co_await reader_.read_body(*stream_, x.head, config_.timeout, &x.body, keep, verifier);
  if (!n) co_return std::move(n).error();
  x.body_length = *n;
  x.done = Clock::now();
  if (!x.head.keep_alive || (!x.head.has_length && !x.head.chunked && x.head.has_body())) reusable_ = false;
  co_return Status();
}

Task<Result<Exchange>> UploadClient::exchange(std::string head, const RequestBody* body, bool expect_continue,
                                              size_t keep, PatternVerifier* verifier) {
  Exchange x;
  if (!stream_) co_return Error(Errc::internal, "exchange without a connection");
  if (!body) body = &kNoBody;
  BodyCursor cursor(head, *body);
  Status st;
  x.head_sent = Clock::now();
  if (expect_continue && body->size() > 0) {
    x.used_continue = true;
    st = co_await stream_->send_all(std::span<const char>(head.data(), head.size()), deadline_after(config_.timeout));
    if (st) {
      cursor.advance(head.size());
      x.wire_bytes += head.size();
      x.head_sent = Clock::now();
      Deadline first{};
      auto h = co_await reader_.read_head(*stream_, config_.continue_timeout, &first);
      if (h) {
        x.first_response = first;
        if (h->status >= 200) {
          // Answered before the body: the connection cannot carry another request, the
          // server may still expect the body we never sent.
          x.head = std::move(*h);
          x.final_first_byte = first;
          x.body_skipped = true;
          st = co_await read_final(x, keep, verifier, true);
          co_await close();
          if (!st) co_return std::move(st).error();
          co_return x;
        }
      } else if (h.error().code == Errc::timeout) {
        x.continue_timed_out = true;
      } else {
        st = std::move(h).error();
      }
    }
  }
  if (st) st = co_await send_rest(cursor, x);
  x.body_sent = Clock::now();
  if (!st) {
    // The server may have answered early and closed (401, 413...): report that answer if it
    // is already here rather than a bare reset.
    Error send_error = st.error();
    Deadline first{};
    auto h = co_await reader_.read_head(*stream_, std::chrono::milliseconds(200), &first);
    bool answered = false;
    if (h && h->status >= 200) {
      x.head = std::move(*h);
      x.first_response = x.final_first_byte = first;
      x.body_skipped = true;
      answered = (co_await read_final(x, keep, verifier, true)).ok();
    }
    co_await close();
    if (answered) co_return x;
    co_return send_error;
  }
  st = co_await read_final(x, keep, verifier, false);
  if (!st || !reusable_) co_await close();
  if (!st) co_return std::move(st).error();
  co_return x;
}

}  // namespace sluice::load
