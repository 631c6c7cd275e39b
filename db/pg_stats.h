// PgStats: a core's PostgreSQL counters; summed across cores with +=. `flushes` counts pipeline
// flushes (one per batch, i.e. one round trip per batch), so queries / flushes shows how much
// pipelining happened.
#pragma once

#include <cstdint>

namespace sluice {

struct PgStats {
  uint64_t queries = 0;            // statements handed to a connection
  uint64_t flushes = 0;            // batches written (one PQflush per connection per turn)
  uint64_t flush_waits = 0;        // flushes that left bytes to write once the socket drains
  uint64_t prepares = 0;           // statements prepared on a connection
  uint64_t errors = 0;             // statements that failed (any cause)
  uint64_t connects = 0;           // successful connection set-ups
  uint64_t connect_failures = 0;
  uint64_t connection_losses = 0;  // established connections that broke

  PgStats& operator+=(const PgStats& o) {
    queries += o.queries;
    flushes += o.flushes;
    flush_waits += o.flush_waits;
    prepares += o.prepares;
    errors += o.errors;
    connects += o.connects;
    connect_failures += o.connect_failures;
    connection_losses += o.connection_losses;
    return *this;
  }
};

}  // namespace sluice
