// RedisStats: a core's Redis counters; summed across cores with +=. commands / flushes shows
// how many commands each send carried.
#pragma once

#include <cstdint>

namespace sluice {

struct RedisStats {
  uint64_t commands = 0;
  uint64_t flushes = 0;   // sends of queued commands (one per connection per turn at most)
  uint64_t errors = 0;    // commands that failed (error reply, lost connection, timeout)
  uint64_t script_loads = 0;
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  uint64_t connection_losses = 0;

  RedisStats& operator+=(const RedisStats& o) {
    commands += o.commands;
    flushes += o.flushes;
    errors += o.errors;
    script_loads += o.script_loads;
    connects += o.connects;
    connect_failures += o.connect_failures;
    connection_losses += o.connection_losses;
    return *this;
  }
};

}  // namespace sluice
