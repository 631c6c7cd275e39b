// Service: the upload service assembled for one process: the immutable parts shared by all
// cores (JWT verifier, routes) and, per core, a ServiceContext with its own database pool,
// Redis client, object store, slots and leases. Start-up and shutdown happen per core.
#pragma once

#include "storage/service/ratelimit/client_address.h"

#include <latch>
#include <memory>

#include "db/redis_client.h"
#include "http/http_server.h"
#include "http/router.h"
#include "core/worker_pool.h"
#include "storage/api/console_assets.h"
#include "storage/api/share_views.h"
#include "storage/service/auth/jwt.h"
#include "storage/service/service_config.h"
#include "storage/store/local/master_key_ring.h"
#include "storage/service/service_context.h"
#include "storage/service/thumbnails/thumbnailer.h"

namespace sluice {

class EventRelay;

class Service {
 public:
  // Validates the configuration and loads keys (start-up: may block, may fail).
  static Result<std::unique_ptr<Service>> create(ServiceConfig config, unsigned cores);
  ~Service();

  bool enabled() const { return !config_.pg_url.empty(); }
  void add_routes(Router& router);
  // Builds this core's context; every core must call it (it waits for the others once, to
  // introduce the per-core pools to each other). Then connects (async).
  Task<Status> start_core(Reactor& r);
  // Waits for background clean-up, then closes this core's connections.
  Task<void> stop_core(Reactor& r);
  // Lets /metrics report this core's HTTP counters (call on that core, after start_core).
  void set_http_stats(unsigned core, const HttpServerStats* stats);
  // Shutdown has begun on `core`: readiness answers 503 (load balancers stop sending here).
  void set_stopping(unsigned core);

 private:
  struct CoreParts;
  Service(ServiceConfig config, unsigned cores);

  ServiceConfig config_;
  TrustedProxies trusted_proxies_;  // parsed from config_.trusted_proxies; read by every core
  auth::JwtVerifier jwt_;
  ServiceContexts contexts_;
  std::vector<std::unique_ptr<CoreParts>> parts_;
  std::latch built_;
  // The outbox relay (events to NATS, pruning): a thread of its own, started by core 0.
  std::unique_ptr<EventRelay> events_;
  std::unique_ptr<ThumbnailStats> thumbnail_stats_;  // with a thumbnailer in this process
  // Shares: Argon2id runs on these threads; the options the share routes read (one copy for all cores).
  std::unique_ptr<WorkerPool> share_hashing_;
  std::shared_ptr<const local::MasterKeyRing> master_keys_;  // null: the local store writes plain
  ShareRouteOptions share_options_;
  std::shared_ptr<const ConsoleAssets> console_;  // null: no console served
};

}  // namespace sluice
