// ServiceContext: what one core's request handlers use: its database pool, Redis-backed
// leases, object store, upload slots and authenticator, all owned by that core. Handlers find
// their core's context by the reactor they run on.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/reactor.h"
#include "core/slot_pool.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/authenticator.h"
#include "storage/store/object_store.h"
#include "storage/service/admission/upload_pace.h"
#include "storage/service/admission/user_leases.h"

namespace sluice {

class ApiKeyStore;
class LimitCache;
class RateLimiter;
class RedisClient;
class EventRelay;
struct ThumbnailStats;
class TrustedProxies;
struct HttpServerStats;

struct UploadLimits {
  Duration upload_timeout = std::chrono::hours(6);  // a whole upload; the janitor uses it too
  PaceOptions pace;                                 // minimum body rate; lease renewal
};

struct UploadStats {
  uint64_t started = 0;
  uint64_t committed = 0;
  uint64_t failed = 0;
  uint64_t bytes = 0;
  UploadStats& operator+=(const UploadStats& o) {
    started += o.started;
    committed += o.committed;
    failed += o.failed;
    bytes += o.bytes;
    return *this;
  }
};

struct ServiceContext {
  Reactor* reactor = nullptr;
  PgPool* pg = nullptr;
  UserLeases* leases = nullptr;
  ObjectStore* store = nullptr;
  SlotPool* slots = nullptr;
  Authenticator* auth = nullptr;
  ApiKeyStore* api_keys = nullptr;  // revocation drops keys from it
  RedisClient* redis = nullptr;  // null without Redis; for readiness and admin
  const HttpServerStats* http_stats = nullptr;  // set by whoever owns the core's HttpServer
  bool stopping = false;  // shutting down: /health/ready says 503 while requests are still served
  const EventRelay* events = nullptr;  // the process's outbox relay (its own thread), for /metrics
  const ThumbnailStats* thumbnails = nullptr;  // the process's thumbnailer (core 0), for /metrics
  // Request rate limits (both null when SLUICE_RATE_LIMITS is off): this core's limiter and its
  // cache of principals' limits; the trusted proxies are shared, read-only.
  RateLimiter* rate_limiter = nullptr;
  LimitCache* limit_cache = nullptr;
  const TrustedProxies* trusted_proxies = nullptr;
  UploadLimits limits;
  UploadStats upload_stats;
  // Clean-up work that outlives a request (abort an object, release a reservation); drained at
  // shutdown before the core stops.
  TaskGroup background;
};

// Every core's context, indexed by core; built at start-up, each entry touched only by its core.
using ServiceContexts = std::vector<std::unique_ptr<ServiceContext>>;

}  // namespace sluice
