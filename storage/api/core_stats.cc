#include "storage/api/core_stats.h"

#include "core/cross_core.h"
#include "db/redis_client.h"

namespace sluice {

CoreStats& CoreStats::operator+=(const CoreStats& o) {
  cores += o.cores;
  uploads += o.uploads;
  slots += o.slots;
  slots_in_use += o.slots_in_use;
  slot_capacity += o.slot_capacity;
  slots_waiting += o.slots_waiting;
  leases += o.leases;
  pg += o.pg;
  pg_ready += o.pg_ready;
  pg_connections += o.pg_connections;
  has_redis = has_redis || o.has_redis;
  redis += o.redis;
  redis_ready += o.redis_ready;
  api_keys += o.api_keys;
  api_keys_cached += o.api_keys_cached;
  has_http = has_http || o.has_http;
  http += o.http;
  recv_buffers += o.recv_buffers;
  recv_buffers_in_use += o.recv_buffers_in_use;
  recv_buffer_waiters += o.recv_buffer_waiters;
  recv.waits += o.recv.waits;
  recv.revocations += o.recv.revocations;
  return *this;
}

CoreStats snapshot_core(const ServiceContext& ctx) {
  CoreStats s;
  s.cores = 1;
  s.uploads = ctx.upload_stats;
  if (ctx.slots) {
    s.slots = ctx.slots->stats();
    s.slots_in_use = ctx.slots->in_use();
    s.slot_capacity = ctx.slots->capacity();
    s.slots_waiting = ctx.slots->waiting();
  }
  if (ctx.leases) s.leases = ctx.leases->stats();
  if (ctx.pg) {
    s.pg = ctx.pg->stats();
    s.pg_ready = ctx.pg->ready_connections();
    s.pg_connections = ctx.pg->options().connections;
  }
  if (ctx.redis) {
    s.has_redis = true;
    s.redis = ctx.redis->stats();
    s.redis_ready = ctx.redis->ready_connections();
  }
  if (ctx.api_keys) {
    s.api_keys = ctx.api_keys->stats();
    s.api_keys_cached = ctx.api_keys->cached();
  }
  if (ctx.http_stats) {
    s.has_http = true;
    s.http = *ctx.http_stats;
  }
  if (Reactor* r = Reactor::current()) {
    const BufferRing& ring = r->buffers();
    s.recv_buffers = ring.count();
    s.recv_buffers_in_use = ring.in_use();
    s.recv_buffer_waiters = ring.waiting();
    s.recv = ring.stats();
  }
  return s;
}

Task<std::vector<CoreStats>> gather_core_stats(Reactor& here, ServiceContexts* all) {
  std::vector<CoreStats> out;
  out.reserve(all->size());
  for (unsigned c = 0; c < all->size(); ++c) {
    // Runs on core c, reading only what core c owns.
    auto copy = [all, c]() -> CoreStats {
      const auto& ctx = (*all)[c];
      return ctx ? snapshot_core(*ctx) : CoreStats{};
    };
    auto call = submit_to(here, c, std::move(copy));
    out.push_back(co_await call);
  }
  co_return out;
}

CoreStats sum_core_stats(const std::vector<CoreStats>& per_core) {
  CoreStats total;
  for (const auto& s : per_core) total += s;
  return total;
}

void write_core_stats_fields(http::JsonWriter& w, const CoreStats& s) {
  w.key("cores").uint64(s.cores);
  w.key("uploads").begin_object();
  w.key("started").uint64(s.uploads.started);
  w.key("committed").uint64(s.uploads.committed);
  w.key("failed").uint64(s.uploads.failed);
  w.key("bytes").uint64(s.uploads.bytes);
  w.end_object();
  w.key("slots").begin_object();
  w.key("inUse").uint64(s.slots_in_use);
  w.key("capacity").uint64(s.slot_capacity);
  w.key("waiting").uint64(s.slots_waiting);
  w.key("acquiredLocal").uint64(s.slots.acquired_local);
  w.key("acquiredBorrowed").uint64(s.slots.acquired_borrowed);
  w.key("acquiredAfterWait").uint64(s.slots.acquired_after_wait);
  w.key("refused").uint64(s.slots.refused);
  w.end_object();
  w.key("leases").begin_object();
  w.key("granted").uint64(s.leases.granted);
  w.key("refused").uint64(s.leases.refused);
  w.key("redisFailures").uint64(s.leases.redis_failures);
  w.key("localFallbacks").uint64(s.leases.local_fallbacks);
  w.end_object();
  w.key("postgres").begin_object();
  w.key("readyConnections").uint64(s.pg_ready);
  w.key("connections").uint64(s.pg_connections);
  w.key("queries").uint64(s.pg.queries);
  w.key("errors").uint64(s.pg.errors);
  w.key("connectionLosses").uint64(s.pg.connection_losses);
  w.end_object();
  w.key("redis");
  if (!s.has_redis) {
    w.null();
  } else {
    w.begin_object();
    w.key("readyConnections").uint64(s.redis_ready);
    w.key("commands").uint64(s.redis.commands);
    w.key("errors").uint64(s.redis.errors);
    w.key("connectionLosses").uint64(s.redis.connection_losses);
    w.end_object();
  }
}

}  // namespace sluice
