// CoreStats: one core's counters and gauges (uploads, slots, leases, PostgreSQL, Redis, API-key
// cache, HTTP when known), copied on that core and carried back by message, so the metrics and
// admin views read every core without sharing memory between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/buffer_ring.h"
#include "core/slot_pool.h"
#include "core/task.h"
#include "db/pg_stats.h"
#include "db/redis_stats.h"
#include "http/http_server.h"
#include "http/json_writer.h"
#include "storage/service/auth/api_key_store.h"
#include "storage/service/service_context.h"
#include "storage/service/admission/user_leases.h"

namespace sluice {

struct CoreStats {
  unsigned cores = 0;  // how many cores were summed into this (1 for a single core's copy)
  UploadStats uploads;
  SlotPoolStats slots;
  uint64_t slots_in_use = 0;
  uint64_t slot_capacity = 0;
  uint64_t slots_waiting = 0;
  LeaseStats leases;
  PgStats pg;
  uint64_t pg_ready = 0;        // connections ready now
  uint64_t pg_connections = 0;  // configured
  bool has_redis = false;
  RedisStats redis;
  uint64_t redis_ready = 0;
  ApiKeyStoreStats api_keys;
  uint64_t api_keys_cached = 0;
  bool has_http = false;
  HttpServerStats http;
  // The core's receive-buffer ring (when read on a reactor thread).
  uint64_t recv_buffers = 0;
  uint64_t recv_buffers_in_use = 0;
  uint64_t recv_buffer_waiters = 0;
  BufferRingStats recv;

  CoreStats& operator+=(const CoreStats& o);
};

// A copy of `ctx`'s counters; call it on the core that owns ctx.
CoreStats snapshot_core(const ServiceContext& ctx);

// Every core's copy, in core order, gathered by one message to each core in turn.
Task<std::vector<CoreStats>> gather_core_stats(Reactor& here, ServiceContexts* all);

CoreStats sum_core_stats(const std::vector<CoreStats>& per_core);

// The counters as one JSON object's members (the caller opens and closes the object).
void write_core_stats_fields(http::JsonWriter& w, const CoreStats& s);

}  // namespace sluice
