#include "http/http_server.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "core/log.h"

namespace sluice {

HttpServerStats& HttpServerStats::operator+=(const HttpServerStats& o) {
  connections_accepted += o.connections_accepted;
  requests += o.requests;
  responses_2xx += o.responses_2xx;
  responses_4xx += o.responses_4xx;
  responses_5xx += o.responses_5xx;
  parse_errors += o.parse_errors;
  timeouts += o.timeouts;
  connections_refused += o.connections_refused;
  connections_open += o.connections_open;
  tls_handshake_failures += o.tls_handshake_failures;
  return *this;
}

HttpServer::HttpServer(Reactor& r, const Router& router, ServerOptions options)
    : r_(r), router_(router), options_(options) {
  if (getrandom(&request_id_prefix_, sizeof request_id_prefix_, GRND_NONBLOCK) != sizeof request_id_prefix_)
    request_id_prefix_ = static_cast<uint32_t>(time(nullptr));
}

HttpServer::~HttpServer() = default;

Status HttpServer::listen(const SocketAddress& addr) {
  auto l = TcpListener::bind(r_, addr);
  if (!l.ok()) return std::move(l).error();
  listener_ = std::move(*l);
  listener_->start([this](int fd) {
    if (options_.max_connections > 0 && stats_.connections_open >= options_.max_connections) {
      refuse(fd);
      return;
    }
    ++stats_.connections_accepted;
    ++stats_.connections_open;
    spawn(serve(fd), &group_);
  });
  return Status();
}

Task<void> HttpServer::serve(int fd) {
  struct OpenCount {
    uint64_t& open;
    ~OpenCount() { --open; }
  } counted{stats_.connections_open};
  std::unique_ptr<TlsSession> tls;
  if (tls_) {
    auto session = TlsSession::accept(*tls_);
    if (!session.ok()) {
      log_event(LogLevel::warn, "tls_session_failed", {{"reason", session.error().message}});
      ::close(fd);
      co_return;
    }
    tls = std::move(*session);
  }
  ServerConnection c(*this, std::make_unique<TcpStream>(r_, fd), std::move(tls));
  connections_.push_back(c);
  co_await c.run();
}

void HttpServer::refuse(int fd) {
  ++stats_.connections_refused;
  static constexpr std::string_view kBody =
      "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"this server has as many connections as it "
      "takes; retry shortly\"}}";
  char id[32];
  std::snprintf(id, sizeof id, "%08x-%u-%llx", request_id_prefix_, r_.core(),
                static_cast<unsigned long long>(next_request_number()));
  std::string out = "HTTP/1.1 503 Service Unavailable\r\nDate: " + http_date() +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kBody.size()) +
                    "\r\nRetry-After: 1\r\nConnection: close\r\nX-Request-Id: " + id + "\r\n\r\n";
  out += kBody;
  // A new socket's send buffer is empty, so these few hundred bytes go in one non-blocking
  // call; if not, the client simply sees the connection closed. The request is never read:
  // refusing must cost less than serving.
  (void)::send(fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

Task<void> HttpServer::drain(Duration timeout) {
  draining_ = true;
  if (listener_) co_await listener_->stop();
  connections_.for_each([](ServerConnection& c) {
    if (c.idle() && !c.fresh()) c.interrupt();
  });
  Deadline until = deadline_after(timeout);
  // Connections accepted just before the listener closed: a moment for their first request
  // (a load balancer connected and is sending it), then they close like any idle one.
  Deadline fresh_until = std::min(until, deadline_after(std::chrono::seconds(1)));
  bool fresh_waited = false;
  while (group_.size() > 0 && Clock::now() < until) {
    if (!fresh_waited && Clock::now() >= fresh_until) {
      fresh_waited = true;
      connections_.for_each([](ServerConnection& c) {
        if (c.idle()) c.interrupt();
      });
    }
    co_await SleepUntil(r_, std::min(until, deadline_after(std::chrono::milliseconds(20))));
  }
  if (group_.size() > 0)
    log_event(LogLevel::warn, "drain_timeout", {{"connections_left", static_cast<uint64_t>(group_.size())}});
  connections_.for_each([](ServerConnection& c) { c.interrupt(true); });
  co_await group_.wait();
  if (listener_) listener_.reset();
}

const std::string& HttpServer::http_date() {
  time_t now = time(nullptr);
  if (now != date_second_) {
    date_second_ = now;
    tm t{};
    gmtime_r(&now, &t);
    char buf[40];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
    date_ = buf;
  }
  return date_;
}

}  // namespace sluice
