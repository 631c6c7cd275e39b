// RedisOptions: where a RedisClient connects (from redis://[user:pass@]host:port/db), how it
// authenticates (AUTH [user] pass), which database it selects, and how long it waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/socket_address.h"

namespace sluice {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string user;      // ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT n after connecting when not 0
  SocketAddress address; // resolved from host:port by from_url()
  unsigned connections = 1;  // per core; each carries many commands in flight
  Duration connect_timeout = std::chrono::seconds(5);
  Duration command_timeout = std::chrono::seconds(10);  // default deadline of a command
  Duration reconnect_min = std::chrono::milliseconds(50);
  Duration reconnect_max = std::chrono::seconds(5);
  // A command that finds every connection waiting out a backoff starts a connection attempt at
  // once if the last one is at least this old, instead of failing until the backoff ends.
  Duration demand_retry_after = std::chrono::milliseconds(250);

  // Parses the URL without resolving the host (no I/O): for tests and validation.
  static Result<RedisOptions> parse_url(std::string_view url);
  // parse_url() plus resolving the host (a blocking lookup: start-up only).
  static Result<RedisOptions> from_url(std::string_view url);
};

}  // namespace sluice
