#include "http/http_server.h"

#include <sys/random.h>

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
    ++stats_.connections_accepted;
    spawn(serve(fd), &group_);
  });
  return Status();
}

Task<void> HttpServer::serve(int fd) {
  ServerConnection c(*this, std::make_unique<TcpStream>(r_, fd));
  connections_.push_back(c);
  co_await c.run();
}

Task<void> HttpServer::drain(Duration timeout) {
  draining_ = true;
  if (listener_) co_await listener_->stop();
  connections_.for_each([](ServerConnection& c) {
    if (c.idle()) c.interrupt();
  });
  Deadline until = deadline_after(timeout);
  while (group_.size() > 0 && Clock::now() < until)
    co_await SleepUntil(r_, std::min(until, deadline_after(std::chrono::milliseconds(20))));
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
