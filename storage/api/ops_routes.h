// Operations routes: GET /health/ready (this core's PostgreSQL pool and Redis client can serve;
// 503 naming what is down), GET /metrics (Prometheus text, every core's counters summed by
// message), and for admins GET /v1/admin/concurrency (per-core slots and leases, optionally one
// user's leases) and DELETE /v1/admin/concurrency/users/{id} (drops that user's leases).
#pragma once

#include <string>
#include <vector>

#include "http/router.h"
#include "storage/api/core_stats.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_ops_routes(Router& router, ServiceContexts* contexts);

// The Prometheus text exposition of `total` (counters summed over cores, gauges summed too).
std::string render_prometheus(const CoreStats& total);
// The event relay's counters and queue gauges (Prometheus text).
struct EventRelayStats;
std::string render_event_metrics(const EventRelayStats& e);
// The thumbnailer's counters (Prometheus text).
struct ThumbnailStats;
std::string render_thumbnail_metrics(const ThumbnailStats& t);

}  // namespace sluice
