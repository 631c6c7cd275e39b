#include "tests/support/raw_http_client.h"

#include <cstdlib>

namespace sluice::testing {

Task<Result<std::unique_ptr<RawHttpClient>>> RawHttpClient::connect(Reactor& r, uint16_t port) {
  auto s = co_await TcpStream::connect(r, *SocketAddress::parse("127.0.0.1:" + std::to_string(port)),
                                       deadline_after(std::chrono::seconds(5)));
  if (!s.ok()) co_return std::move(s).error();
  auto c = std::make_unique<RawHttpClient>();
  c->stream_ = std::move(*s);
  co_return c;
}

Task<Status> RawHttpClient::send(std::string bytes) {
  co_return co_await stream_->send_all(std::span<const char>(bytes.data(), bytes.size()),
                                       deadline_after(std::chrono::seconds(10)));
}

Task<bool> RawHttpClient::fill(Deadline d) {
  auto b = co_await stream_->recv(d);
  if (!b.ok()) co_return false;
  pending_.append(b->bytes().data(), b->size());
  co_return true;
}

static std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

Task<Result<RawResponse>> RawHttpClient::read_response(Duration timeout, bool head_only) {
  Deadline d = deadline_after(timeout);
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
    if (!co_await fill(d)) co_return Error(Errc::closed, "no complete response head; got: " + pending_);
  RawResponse r;
  std::string head = pending_.substr(0, end);
  pending_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  r.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      r.headers[lower(line.substr(0, colon))] = v;
    }
    pos = e + 2;
  }
  if (r.status == 100 || head_only) co_return r;
  if (r.headers.count("content-length")) {
    size_t n = std::strtoull(r.headers["content-length"].c_str(), nullptr, 10);
    while (pending_.size() < n)
      if (!co_await fill(d)) co_return Error(Errc::closed, "body cut short");
    r.body = pending_.substr(0, n);
    pending_.erase(0, n);
  } else if (lower(r.header("transfer-encoding")) == "chunked") {
    for (;;) {
      size_t le;
      while ((le = pending_.find("\r\n")) == std::string::npos)
        if (!co_await fill(d)) co_return Error(Errc::closed, "chunk size cut short");
      size_t n = std::strtoull(pending_.c_str(), nullptr, 16);
      pending_.erase(0, le + 2);
      while (pending_.size() < n + 2)
        if (!co_await fill(d)) co_return Error(Errc::closed, "chunk cut short");
      r.body += pending_.substr(0, n);
      pending_.erase(0, n + 2);
      if (n == 0) break;
    }
  }
  co_return r;
}

Task<bool> RawHttpClient::wait_closed(Duration timeout) {
  Deadline d = deadline_after(timeout);
  for (;;) {
    auto b = co_await stream_->recv(d);
    if (!b.ok()) co_return b.error().code == Errc::closed || b.error().code == Errc::io_error;
    pending_.append(b->bytes().data(), b->size());
  }
}

}  // namespace sluice::testing
