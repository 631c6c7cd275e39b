// HttpServer: the HTTP server of one core: its SO_REUSEPORT listener, its connections, their
// task group, and the graceful drain used at shutdown.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/intrusive_list.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "core/tcp_listener.h"
#include "http/router.h"
#include "http/server_connection.h"
#include "http/server_options.h"
#include "http/tls_session.h"

namespace sluice {

// Per-core counters, summed across cores by whoever reports them.
struct HttpServerStats {
  uint64_t connections_accepted = 0;
  uint64_t requests = 0;
  uint64_t responses_2xx = 0;
  uint64_t responses_4xx = 0;
  uint64_t responses_5xx = 0;
  uint64_t parse_errors = 0;
  uint64_t timeouts = 0;
  uint64_t connections_refused = 0;  // over ServerOptions::max_connections: 503 and closed
  uint64_t connections_open = 0;     // a gauge: connections being served now
  uint64_t tls_handshake_failures = 0;
  HttpServerStats& operator+=(const HttpServerStats& o);
};

class HttpServer {
 public:
  HttpServer(Reactor& r, const Router& router, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status listen(const SocketAddress& addr);
  // HTTPS: connections accepted from now on are served over TLS with `ctx` (set before listen();
  // a later call is a certificate reload: open connections keep the session they have).
  void set_tls_context(std::unique_ptr<TlsServerContext> ctx) { tls_ = std::move(ctx); }
  const TlsServerContext* tls_context() const { return tls_.get(); }
  uint16_t port() const { return listener_ ? listener_->port() : 0; }
  // Stops accepting, closes idle connections, lets in-flight requests finish until `timeout`,
  // then interrupts what is left and waits for every connection to end. A connection accepted
  // but without a request yet gets up to a second to send its first one (served, then closed).
  Task<void> drain(Duration timeout);
  size_t connections() const { return group_.size(); }
  bool draining() const { return draining_; }

  Reactor& reactor() { return r_; }
  const Router& router() const { return router_; }
  const ServerOptions& options() const { return options_; }
  HttpServerStats& stats() { return stats_; }
  // Cached "Date:" value, refreshed at most once a second.
  const std::string& http_date();
  uint64_t next_request_number() { return ++request_counter_; }
  uint32_t request_id_prefix() const { return request_id_prefix_; }

 private:
  friend class ServerConnection;
  Task<void> serve(int fd);
  // Answers a connection over the cap: one non-blocking send of a fixed 503, then close.
  void refuse(int fd);

  Reactor& r_;
  const Router& router_;
  ServerOptions options_;
  std::unique_ptr<TcpListener> listener_;
  std::unique_ptr<TlsServerContext> tls_;
  IntrusiveList<ServerConnection> connections_;
  TaskGroup group_;
  bool draining_ = false;
  HttpServerStats stats_;
  std::string date_;
  int64_t date_second_ = -1;
  uint64_t request_counter_ = 0;
  uint32_t request_id_prefix_ = 0;
};

}  // namespace sluice
