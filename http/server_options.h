// ServerOptions: the HTTP server's limits and timeouts, each configurable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "http/request_parser.h"

namespace sluice {

struct ServerOptions {
  ParserLimits parser;
  Duration header_timeout = std::chrono::seconds(10);     // head not complete -> 408, close
  Duration keepalive_timeout = std::chrono::seconds(60);  // idle between requests -> close
  Duration body_idle_timeout = std::chrono::seconds(30);  // no body bytes -> 408
  Duration send_timeout = std::chrono::seconds(30);       // a send that makes no progress
  unsigned recv_window = 4;                               // buffers queued before backpressure
  // Unread body discarded before closing after an early answer (a refused upload): a proxy
  // such as nginx reads the answer only once it has sent the whole body, and turns a close
  // mid-body into 502 for its client. Bounded in bytes and in time (a trickling client).
  uint64_t lingering_close_bytes = uint64_t{64} << 20;
  Duration lingering_close_time = std::chrono::seconds(10);
  // Open connections this core serves at once; beyond it a new connection gets a short 503
  // (Retry-After) and is closed unread. 0: no cap (the fd limit is the only one).
  uint64_t max_connections = 0;

  // Browser clients (CORS): the origins ("https://app.example.com", or "*") whose requests get
  // Access-Control-Allow-Origin and whose preflight OPTIONS is answered; none by default.
  std::vector<std::string> cors_origins;
  unsigned cors_max_age_seconds = 600;  // how long a browser may cache a preflight answer
  // Strict-Transport-Security max-age on every response; 0: not sent (plain HTTP deployments).
  uint64_t hsts_max_age_seconds = 0;
};

}  // namespace sluice
