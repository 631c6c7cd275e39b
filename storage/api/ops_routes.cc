#include "storage/api/ops_routes.h"

#include <ctime>

#include "core/log.h"
#include "db/redis_client.h"
#include "http/json_writer.h"
#include "storage/api/caller_auth.h"
#include "storage/service/admission/lease_admin.h"
#include "storage/service/events/event_relay.h"
#include "storage/service/thumbnails/thumbnailer.h"

namespace sluice {

namespace {

using namespace std::chrono_literals;

// How long /health/ready waits for the object store: a load balancer's probe must get an
// answer well within its own timeout.
constexpr Duration kStoreProbeDeadline = std::chrono::seconds(2);

Task<void> ready(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  if (ctx.stopping) {  // SIGTERM: out of the pool first, then (SLUICE_SHUTDOWN_DELAY later) drained
    ApiError e(503, "stopping", "this instance is shutting down; requests still in flight finish");
    co_await respond_api_error(ex, std::move(e));
    co_return;
  }
  // Without a database configured the process only serves /health: nothing to wait for.
  bool pg_up = !ctx.pg || ctx.pg->ready_connections() > 0;
  bool redis_up = !ctx.redis || ctx.redis->ready_connections() > 0;
  bool store_up = true;
  if (ctx.store) {
    Deadline d = deadline_after(kStoreProbeDeadline);
    Status probed = co_await ctx.store->probe(d);
    store_up = probed.ok();
    // The reason goes to the log, not to an unauthenticated caller.
    if (!store_up)
      log_event(LogLevel::warn, "store_not_ready",
                {{"core", ex.reactor().core()}, {"error", probed.error().message}});
  }
  std::string checks;
  http::JsonWriter cw(checks);
  cw.begin_object();
  cw.key("postgres").string(!ctx.pg ? "not_configured" : pg_up ? "up" : "down");
  cw.key("redis").string(!ctx.redis ? "not_configured" : redis_up ? "up" : "down");
  cw.key("store").string(!ctx.store ? "not_configured" : store_up ? "up" : "down");
  // Reported, never gating: NATS down delays events, it does not stop uploads. Only the
  // instance whose relay holds the lock talks to NATS; the others are on standby.
  const EventRelay* ev = ctx.events;
  cw.key("nats").string(!ev || !ev->publishing()            ? "not_configured"
                        : !ev->stats().leader.load()        ? "standby"
                        : ev->stats().nats_connected.load() ? "up"
                                                            : "down");
  cw.end_object();
  if (pg_up && redis_up && store_up) {
    std::string out;
    http::JsonWriter w(out);
    w.begin_object();
    w.key("status").string("ready");
    w.key("core").uint64(ex.reactor().core());
    w.key("checks").raw(checks);
    w.end_object();
    (void)co_await ex.respond(Response::json(200, std::move(out)));
    co_return;
  }
  std::string down;
  int failed = 0;
  auto add = [&down, &failed](bool up, const char* name) {
    if (up) return;
    if (failed++ > 0) down += " and ";
    down += name;
  };
  add(pg_up, "postgres");
  add(redis_up, "redis");
  add(store_up, "the object store");
  down += failed > 1 ? " are" : " is";
  ApiError e(503, "not_ready", down + " not reachable from core " + std::to_string(ex.reactor().core()));
  e.with_details("{\"checks\":" + checks + "}").with_header("Retry-After", "1");
  co_await respond_api_error(ex, std::move(e));
}

void counter(std::string& out, const char* name, const char* help, uint64_t v, const char* type = "counter") {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

void gauge(std::string& out, const char* name, const char* help, uint64_t v) { counter(out, name, help, v, "gauge"); }

Task<void> metrics(HttpExchange& ex, ServiceContexts* all) {
  std::vector<CoreStats> per_core = co_await gather_core_stats(ex.reactor(), all);
  Response r;
  r.status = 200;
  r.body = render_prometheus(sum_core_stats(per_core));
  if (const EventRelay* ev = core_context(ex, all).events) r.body += render_event_metrics(ev->stats());
  if (const ThumbnailStats* th = core_context(ex, all).thumbnails) r.body += render_thumbnail_metrics(*th);
  r.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  (void)co_await ex.respond(std::move(r));
}

// One user's leases (upload id and expiry, unix ms) from Redis; the count alone without it.
Task<void> write_user_leases(http::JsonWriter& w, ServiceContext& ctx, std::string user) {
  w.begin_object();
  w.key("user").string(user);
  if (ctx.redis) {
    int64_t now_ms = static_cast<int64_t>(time(nullptr)) * 1000;
    auto live = co_await service::live_user_leases(*ctx.redis, user, now_ms);
    if (live.ok()) {
      w.key("activeUploads").uint64(live->size());
      w.key("leases").begin_array();
      for (const service::UserLease& l : *live) {
        w.begin_object();
        w.key("uploadId").string(l.upload_id);
        w.key("expiresAtMs").int64(l.expires_at_ms);
        w.end_object();
      }
      w.end_array();
      w.end_object();
      co_return;
    }
  }
  auto n = co_await ctx.leases->count(user);
  w.key("activeUploads");
  if (n.ok())
    w.int64(*n);
  else
    w.null();
  w.end_object();
}

Task<void> concurrency(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  auto user = ex.request().query_param("user");
  if (user && !valid_user_id(*user))
    co_return co_await respond_api_error(ex,
                                         ApiError(400, "invalid_user", "user ids are 1 to 128 of [A-Za-z0-9._@:-]"));
  std::vector<CoreStats> per_core = co_await gather_core_stats(ex.reactor(), all);
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("redis").begin_object();
  w.key("configured").boolean(ctx.redis != nullptr);
  w.key("connected").boolean(ctx.redis && ctx.redis->ready_connections() > 0);
  w.end_object();
  w.key("leaseTtlSeconds").int64(std::chrono::duration_cast<std::chrono::seconds>(ctx.leases->ttl()).count());
  w.key("totals").begin_object();
  write_core_stats_fields(w, sum_core_stats(per_core));
  w.end_object();
  w.key("perCore").begin_array();
  for (size_t c = 0; c < per_core.size(); ++c) {
    w.begin_object();
    w.key("core").uint64(c);
    write_core_stats_fields(w, per_core[c]);
    w.end_object();
  }
  w.end_array();
  if (user) {
    w.key("user");
    co_await write_user_leases(w, ctx, *user);
  }
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

Task<void> drop_user_leases(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_admin(ex, ctx);
  if (!who) co_return;
  std::string user(ex.request().param("id"));
  if (!valid_user_id(user))
    co_return co_await respond_api_error(ex,
                                         ApiError(400, "invalid_user", "user ids are 1 to 128 of [A-Za-z0-9._@:-]"));
  if (!ctx.redis)
    co_return co_await respond_api_error(
        ex, ApiError(501, "not_implemented", "without Redis, leases are per instance and end with their uploads"));
  auto dropped = co_await service::drop_user_leases(*ctx.redis, user);
  if (!dropped.ok()) co_return co_await respond_api_error(ex, api_error_from(dropped.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("user").string(user);
  w.key("dropped").int64(*dropped);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

}  // namespace

std::string render_event_metrics(const EventRelayStats& e) {
  std::string out;
  gauge(out, "sluice_events_relay_leader", "1 if this instance's relay holds the cluster-wide lock.", e.leader.load());
  gauge(out, "sluice_events_nats_connected", "1 if the relay is connected to NATS.", e.nats_connected.load());
  int64_t depth = e.depth.load();
  gauge(out, "sluice_events_outbox_depth", "Outbox rows waiting to be published (refreshed every 2s).",
        static_cast<uint64_t>(depth < 0 ? 0 : depth));
  gauge(out, "sluice_events_oldest_unpublished_age_seconds", "Age of the oldest outbox row waiting.",
        static_cast<uint64_t>(std::max<int64_t>(0, e.oldest_age_s.load())));
  gauge(out, "sluice_events_dead_letters", "Outbox rows dead-lettered (in the table now).",
        static_cast<uint64_t>(std::max<int64_t>(0, e.dead.load())));
  counter(out, "sluice_events_published_total", "Events stored by JetStream and marked published.", e.published.load());
  counter(out, "sluice_events_redeliveries_total", "Republished events JetStream dropped as duplicates.",
          e.duplicates.load());
  counter(out, "sluice_events_publish_failures_total", "Publishes not acknowledged (NATS down, timeouts): retried.",
          e.failures.load());
  counter(out, "sluice_events_nats_outages_total", "Relay turns that found NATS unreachable or lost it.",
          e.nats_outages.load());
  counter(out, "sluice_events_refused_total", "Publishes NATS refused for the message itself.", e.refused.load());
  counter(out, "sluice_events_dead_lettered_total", "Outbox rows this instance dead-lettered.", e.dead_lettered.load());
  counter(out, "sluice_events_pruned_total", "Outbox rows deleted after their retention.", e.pruned.load());
  return out;
}

std::string render_thumbnail_metrics(const ThumbnailStats& t) {
  std::string out;
  counter(out, "sluice_thumbnails_made_total", "Images whose thumbnails were stored.", t.made.load());
  counter(out, "sluice_thumbnails_failed_total", "Images no thumbnail could be made of (not decodable, refused).",
          t.failed.load());
  counter(out, "sluice_thumbnails_refused_total", "Of those, images over the pixel limit (never decoded).",
          t.refused.load());
  counter(out, "sluice_thumbnails_store_retries_total", "Thumbnail jobs put back after a store error.",
          t.store_retries.load());
  gauge(out, "sluice_thumbnails_in_progress", "Images being thumbnailed now.", t.busy.load());
  return out;
}

std::string render_prometheus(const CoreStats& s) {
  std::string out;
  out.reserve(4096);
  gauge(out, "sluice_cores", "Cores whose counters are summed here.", s.cores);
  counter(out, "sluice_uploads_started_total", "Uploads admitted (slot, reservation and lease held).",
          s.uploads.started);
  counter(out, "sluice_uploads_committed_total", "Uploads stored and committed.", s.uploads.committed);
  counter(out, "sluice_uploads_failed_total", "Admitted uploads that were aborted.", s.uploads.failed);
  counter(out, "sluice_upload_bytes_total", "Bytes uploads wrote to the store (failed ones included).",
          s.uploads.bytes);
  gauge(out, "sluice_upload_slots_in_use", "Upload slots held now.", s.slots_in_use);
  gauge(out, "sluice_upload_slots_capacity", "Upload slots configured (cores x slots_per_core).", s.slot_capacity);
  gauge(out, "sluice_upload_slots_waiting", "Requests queued for a slot now.", s.slots_waiting);
  counter(out, "sluice_upload_slots_acquired_local_total", "Slots taken from the core's own counter.",
          s.slots.acquired_local);
  counter(out, "sluice_upload_slots_acquired_borrowed_total", "Slots borrowed from another core.",
          s.slots.acquired_borrowed);
  counter(out, "sluice_upload_slots_acquired_after_wait_total", "Slots obtained after queueing.",
          s.slots.acquired_after_wait);
  counter(out, "sluice_upload_slots_refused_total", "Uploads refused for lack of a slot (503).", s.slots.refused);
  counter(out, "sluice_leases_granted_total", "Per-user upload leases granted.", s.leases.granted);
  counter(out, "sluice_leases_refused_total", "Uploads refused by the per-user limit (429).", s.leases.refused);
  counter(out, "sluice_leases_redis_failures_total", "Lease operations that failed in Redis.", s.leases.redis_failures);
  counter(out, "sluice_leases_local_fallbacks_total", "Leases counted per instance because Redis failed.",
          s.leases.local_fallbacks);
  gauge(out, "sluice_recv_buffers", "Receive buffers (all cores).", s.recv_buffers);
  gauge(out, "sluice_recv_buffers_in_use", "Receive buffers holding data now.", s.recv_buffers_in_use);
  gauge(out, "sluice_recv_buffer_waiters", "Connections queued for a receive buffer now.", s.recv_buffer_waiters);
  counter(out, "sluice_recv_buffer_waits_total", "Receives that queued for a free buffer.", s.recv.waits);
  counter(out, "sluice_recv_buffer_revocations_total", "Idle receive claims taken back for waiting connections.",
          s.recv.revocations);
  gauge(out, "sluice_pg_ready_connections", "PostgreSQL connections ready now.", s.pg_ready);
  counter(out, "sluice_pg_queries_total", "Statements sent to PostgreSQL.", s.pg.queries);
  counter(out, "sluice_pg_flushes_total", "Pipeline flushes (round trips) to PostgreSQL.", s.pg.flushes);
  counter(out, "sluice_pg_errors_total", "PostgreSQL statements that failed.", s.pg.errors);
  counter(out, "sluice_pg_connects_total", "PostgreSQL connections established.", s.pg.connects);
  counter(out, "sluice_pg_connect_failures_total", "PostgreSQL connection attempts that failed.",
          s.pg.connect_failures);
  counter(out, "sluice_pg_connection_losses_total", "Established PostgreSQL connections lost.", s.pg.connection_losses);
  if (s.has_redis) {
    gauge(out, "sluice_redis_ready_connections", "Redis connections ready now.", s.redis_ready);
    counter(out, "sluice_redis_commands_total", "Commands sent to Redis.", s.redis.commands);
    counter(out, "sluice_redis_errors_total", "Redis commands that failed.", s.redis.errors);
    counter(out, "sluice_redis_connection_losses_total", "Established Redis connections lost.",
            s.redis.connection_losses);
  }
  counter(out, "sluice_api_key_cache_hits_total", "API keys resolved from the per-core cache.", s.api_keys.hits);
  counter(out, "sluice_api_key_cache_misses_total", "API keys looked up in PostgreSQL.", s.api_keys.misses);
  counter(out, "sluice_api_key_rejected_total", "API keys refused (unknown, revoked, wrong secret).",
          s.api_keys.rejected);
  gauge(out, "sluice_api_key_cache_entries", "API keys cached now.", s.api_keys_cached);
  if (s.has_http) {
    counter(out, "sluice_http_connections_accepted_total", "HTTP connections accepted.", s.http.connections_accepted);
    counter(out, "sluice_http_requests_total", "HTTP requests received.", s.http.requests);
    counter(out, "sluice_http_responses_2xx_total", "2xx responses sent.", s.http.responses_2xx);
    counter(out, "sluice_http_responses_4xx_total", "4xx responses sent.", s.http.responses_4xx);
    counter(out, "sluice_http_responses_5xx_total", "5xx responses sent.", s.http.responses_5xx);
    counter(out, "sluice_http_parse_errors_total", "Requests rejected by the parser.", s.http.parse_errors);
    counter(out, "sluice_http_timeouts_total", "Connections closed on a timeout.", s.http.timeouts);
    counter(out, "sluice_http_connections_refused_total",
            "Connections answered 503 and closed: the core had its maximum of open connections.",
            s.http.connections_refused);
    gauge(out, "sluice_http_connections_open", "HTTP connections open now.", s.http.connections_open);
  }
  return out;
}

void add_ops_routes(Router& router, ServiceContexts* contexts) {
  router.add("GET", "/health/ready", [contexts](HttpExchange& ex) { return ready(ex, contexts); });
  router.add("GET", "/metrics", [contexts](HttpExchange& ex) { return metrics(ex, contexts); });
  router.add("GET", "/v1/admin/concurrency", [contexts](HttpExchange& ex) { return concurrency(ex, contexts); });
  router.add("DELETE", "/v1/admin/concurrency/users/{id}",
             [contexts](HttpExchange& ex) { return drop_user_leases(ex, contexts); });
}

}  // namespace sluice
