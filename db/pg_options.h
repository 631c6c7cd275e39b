// PgOptions: how a PgPool connects to PostgreSQL and how long it waits. The URL is libpq's
// (postgresql://user@host:port/db?...); use a numeric host address so that connecting never
// blocks the reactor on a name lookup.
#pragma once

#include <chrono>
#include <string>

#include "core/clock.h"

namespace sluice {

struct PgOptions {
  std::string url;
  unsigned connections = 2;  // per core
  Duration connect_timeout = std::chrono::seconds(5);
  Duration query_timeout = std::chrono::seconds(30);  // default deadline of a query
  // Server-side statement_timeout set on every connection (0: the server's default). It is what
  // frees a connection from a runaway statement whose waiter has already given up.
  Duration statement_timeout = std::chrono::seconds(0);
  Duration reconnect_min = std::chrono::milliseconds(50);  // first retry after a failed attempt
  Duration reconnect_max = std::chrono::seconds(5);
  // A query that finds every connection waiting out its backoff starts an attempt at once when
  // the last one is this old, and waits for it: a server that came back is used within this
  // much, not after the rest of a backoff that grew while it was down.
  Duration demand_retry_after = std::chrono::milliseconds(250);
  std::string application_name = "sluice";
};

}  // namespace sluice
