#include "storage/api/service.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/rand.h>

#include "core/log.h"
#include "storage/api/audit_routes.h"
#include "storage/api/audit_trail.h"
#include "storage/api/console_routes.h"
#include "storage/api/file_change_routes.h"
#include "storage/api/file_list_routes.h"
#include "storage/api/file_read_routes.h"
#include "storage/api/file_routes.h"
#include "storage/api/local_object_routes.h"
#include "storage/api/public_file_routes.h"
#include "storage/api/public_share_routes.h"
#include "storage/api/share_routes.h"
#include "storage/service/shares/share_token.h"
#include "storage/api/tus_routes.h"
#include "storage/api/upload_routes.h"
#include "storage/service/janitor/janitor_task.h"
#include "storage/service/master_keys_loading.h"
#include "storage/service/events/event_relay.h"
#include "storage/api/key_routes.h"
#include "storage/api/ops_routes.h"
#include "storage/api/quota_routes.h"
#include "storage/api/tier_routes.h"
#include "storage/api/thumbnail_routes.h"
#include "storage/service/thumbnails/thumbnailer.h"
#include "storage/service/auth/api_key_store.h"
#include "storage/service/ratelimit/limit_cache.h"
#include "storage/service/ratelimit/rate_limiter.h"
#include "storage/store/local/local_store.h"
#include "storage/store/s3/s3_store.h"

namespace sluice {

// What a core owns behind its ServiceContext's pointers.
struct Service::CoreParts {
  std::unique_ptr<PgPool> pg;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<SlotPool> slots;
  std::unique_ptr<UserLeases> leases;
  std::unique_ptr<ApiKeyStore> api_keys;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<JanitorTask> janitor;  // core 0 only
  std::unique_ptr<Thumbnailer> thumbnailer;  // core 0 only, with SLUICE_THUMBNAILS=on
  std::unique_ptr<LimitCache> limit_cache;
  std::unique_ptr<RateLimiter> rate_limiter;
};

Service::Service(ServiceConfig config, unsigned cores)
    : config_(std::move(config)), jwt_(auth::JwtOptions{config_.jwt_issuer, config_.jwt_audience, 30}),
      built_(cores) {
  contexts_.resize(cores);
  parts_.resize(cores);
  // With a database, always: it publishes when SLUICE_NATS_URL is set, and prunes the outbox
  // either way (the advisory lock keeps it to one instance).
  if (enabled()) events_ = std::make_unique<EventRelay>(event_relay_options(config_));
  if (enabled() && config_.thumbnails) thumbnail_stats_ = std::make_unique<ThumbnailStats>();
}

Service::~Service() = default;

namespace {
Result<s3::S3Endpoint> parse_s3_endpoint(const ServiceConfig& c) {
  s3::S3Endpoint e;
  std::string_view url = c.s3_endpoint;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return Error(Errc::invalid_argument, "S3 endpoint must look like http(s)://host[:port], got '" + c.s3_endpoint + "'");
  e.scheme = std::string(url.substr(0, scheme_end));
  std::string_view hostport = url.substr(scheme_end + 3);
  if (!hostport.empty() && hostport.back() == '/') hostport.remove_suffix(1);
  auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    e.host = std::string(hostport.substr(0, colon));
    e.port = static_cast<uint16_t>(std::stoi(std::string(hostport.substr(colon + 1))));
  } else {
    e.host = std::string(hostport);
  }
  e.bucket = c.s3_bucket;
  e.path_style = c.s3_path_style;
  e.region = c.s3_region;
  if (e.bucket.empty()) return Error(Errc::invalid_argument, "SLUICE_S3_BUCKET is required with SLUICE_STORE=s3");
  return e;
}
}  // namespace

Result<std::unique_ptr<Service>> Service::create(ServiceConfig config, unsigned cores) {
  std::unique_ptr<Service> s(new Service(std::move(config), cores));
  ServiceConfig& c = s->config_;
  if (!s->enabled()) return s;
  if (c.jwt_secret.empty() && c.jwks_file.empty())
    return Error(Errc::invalid_argument, "set SLUICE_JWT_SECRET (HS256) or SLUICE_JWKS_FILE to authenticate clients");
  if (!c.jwt_secret.empty())
    if (auto st = s->jwt_.set_hs256_secret(c.jwt_secret); !st.ok()) return st.error();
  if (!c.jwks_file.empty()) {
    std::ifstream in(c.jwks_file);
    if (!in) return Error(Errc::invalid_argument, "cannot read JWKS file " + c.jwks_file);
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto st = s->jwt_.add_jwks(ss.str()); !st.ok()) return st.error();
  }
  if (c.store == "local") {
    // The URL-signing key is its own secret: a URL signature must never be a JWT-secret oracle,
    // and rotating one must not invalidate the other.
    if (c.url_secret.empty()) {
      unsigned char key[32];
      if (RAND_bytes(key, sizeof key) != 1) return Error(Errc::internal, "no randomness for the URL-signing secret");
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned char b : key) {
        c.url_secret += kHex[b >> 4];
        c.url_secret += kHex[b & 15];
      }
      log_event(LogLevel::warn, "url_secret_generated",
                {{"effect", "SLUICE_URL_SECRET is not set: signed URLs of the local store use a random key of this "
                            "process; they will not survive a restart or work on another instance"}});
    } else if (c.url_secret.size() < 32) {
      return Error(Errc::invalid_argument, "SLUICE_URL_SECRET must be at least 32 bytes");
    } else if (c.url_secret == c.jwt_secret) {
      return Error(Errc::invalid_argument, "SLUICE_URL_SECRET must differ from SLUICE_JWT_SECRET");
    }
  }
  if (c.store != "local" && c.store != "s3")
    return Error(Errc::invalid_argument, "SLUICE_STORE must be local or s3, got '" + c.store + "'");
  auto keys = load_master_keys(c);
  if (!keys.ok()) return keys.error();
  s->master_keys_ = std::move(*keys);
  if (c.store == "s3") {
    auto e = parse_s3_endpoint(c);
    if (!e.ok()) return e.error();
  }
  if (!c.redis_url.empty()) {
    auto r = RedisOptions::parse_url(c.redis_url);
    if (!r.ok()) return r.error();
  }
  // Share access tokens: a key derived from the URL secret (S3 stores without one: random per
  // process, so unlocks then hold only on this instance until it restarts).
  auto access_key = service::derive_share_access_key(c.url_secret);
  if (!access_key.ok()) return access_key.error();
  if (c.url_secret.empty())
    log_event(LogLevel::warn, "share_access_key_generated",
              {{"effect", "SLUICE_URL_SECRET is not set: share access tokens use a random key of this process"}});
  s->share_options_.access_key = std::move(*access_key);
  s->share_options_.public_url = c.public_url;
  s->share_options_.thumbnail_sizes = c.thumbnail_sizes;
  s->share_hashing_ = std::make_unique<WorkerPool>(WorkerPoolOptions{.threads = 2, .max_queued = 64});
  s->share_options_.hashing = s->share_hashing_.get();
  auto proxies = TrustedProxies::parse(c.trusted_proxies);
  if (!proxies.ok()) return Error(Errc::invalid_argument, "SLUICE_TRUSTED_PROXIES: " + proxies.error().message);
  s->trusted_proxies_ = std::move(*proxies);
  auto console = ConsoleAssets::load(c.console_dir, c.console_vendor_dir);
  if (console.ok()) {
    s->console_ = std::move(*console);
  } else if (!c.console_dir.empty() || !c.console_vendor_dir.empty()) {
    return console.error();  // asked for explicitly: a wrong path is a mistake to report
  } else {
    log_event(LogLevel::warn, "console_unavailable", {{"error", console.error().message}});
  }
  return s;
}

void Service::add_routes(Router& router) {
  // Every route added from here on is recorded in the audit log when audit_trail.h says so.
  if (enabled() && config_.audit) {
    ServiceContexts* contexts = &contexts_;
    router.set_wrapper([contexts](const std::string& method, const std::string& pattern, Handler h) {
      return audited(method, pattern, std::move(h), contexts);
    });
  }
  if (enabled()) add_file_routes(router, &contexts_);
  if (enabled()) add_file_read_routes(router, &contexts_, file_read_options(config_));
  if (enabled()) add_file_list_routes(router, &contexts_);
  if (enabled()) add_file_change_routes(router, &contexts_);
  if (enabled()) add_public_file_routes(router, &contexts_, public_file_options(config_));
  if (enabled()) add_upload_routes(router, &contexts_, upload_route_options(config_));
  if (enabled()) add_tus_routes(router, &contexts_, tus_route_options(config_));
  if (enabled() && config_.store == "local") add_local_object_routes(router, &contexts_);
  if (enabled()) add_key_routes(router, &contexts_);
  if (enabled()) add_share_routes(router, &contexts_, &share_options_);
  if (enabled()) add_public_share_routes(router, &contexts_, &share_options_);
  if (enabled()) add_quota_routes(router, &contexts_);
  if (enabled()) add_tier_routes(router, &contexts_);
  if (enabled()) add_thumbnail_routes(router, &contexts_, thumbnail_route_options(config_));
  if (enabled()) add_audit_routes(router, &contexts_);
  if (console_) add_console_routes(router, console_);
  add_ops_routes(router, &contexts_);
}

Task<Status> Service::start_core(Reactor& r) {
  unsigned core = r.core();
  auto ctx = std::make_unique<ServiceContext>();
  auto parts = std::make_unique<CoreParts>();
  ctx->reactor = &r;
  ctx->events = events_.get();
  ctx->thumbnails = thumbnail_stats_.get();
  ctx->limits.upload_timeout = config_.upload_timeout;  // the janitor's threshold for dead uploads
  ctx->limits.pace.min_bytes_per_second = config_.min_upload_rate;
  ctx->limits.pace.window = config_.min_upload_rate_window;
  if (enabled()) {
    PgOptions pg;
    pg.url = config_.pg_url;
    pg.connections = config_.pg_connections;
    parts->pg = std::make_unique<PgPool>(r, pg);
    if (!config_.redis_url.empty()) {
      auto ro = RedisOptions::from_url(config_.redis_url);
      if (!ro.ok()) {
        built_.count_down();
        co_return ro.error();
      }
      parts->redis = std::make_unique<RedisClient>(r, *ro);
    }
    if (config_.store == "s3") {
      S3StoreOptions so;
      so.endpoint = *parse_s3_endpoint(config_);
      so.credentials = s3::S3Credentials{config_.s3_access_key, config_.s3_secret_key, config_.s3_session_token};
      so.tls.ca_file = config_.s3_ca_file;
      so.sse = config_.s3_sse;
      so.sse_kms_key_id = config_.s3_sse_kms_key_id;
      so.unknown_size_buffer_wait = config_.s3_buffer_wait;
      // Every streaming upload holds one S3 connection for its whole body: the pool must be as
      // large as the core's upload slots, and keep them for reuse.
      so.pool.max_total = std::min<size_t>(config_.slots_per_core + 32, config_.s3_max_connections);
      so.pool.max_idle = so.pool.max_total;
      auto st = S3Store::create(r, so);
      if (!st.ok()) {
        built_.count_down();
        co_return st.error();
      }
      parts->store = std::move(*st);
    } else {
      local::LocalStoreOptions lo;
      lo.root = config_.local_dir;
      lo.urls.secret = config_.url_secret;
      lo.urls.public_base_url = config_.public_url;
      lo.keys = master_keys_;
      auto st = local::LocalStore::open(r, lo);
      if (!st.ok()) {
        built_.count_down();
        co_return st.error();
      }
      parts->store = std::move(*st);
    }
    SlotPoolOptions so;
    so.slots = config_.slots_per_core;
    so.max_wait = config_.slot_wait;
    parts->slots = std::make_unique<SlotPool>(r, so);
    parts->leases = std::make_unique<UserLeases>(r, parts->redis.get(), LeaseOptions{config_.lease_ttl, config_.redis_fail_open});
    parts->api_keys = std::make_unique<ApiKeyStore>(*parts->pg, ctx->background);
    parts->auth = std::make_unique<Authenticator>(jwt_, parts->api_keys.get());
    ctx->pg = parts->pg.get();
    ctx->store = parts->store.get();
    ctx->slots = parts->slots.get();
    ctx->leases = parts->leases.get();
    ctx->auth = parts->auth.get();
    ctx->api_keys = parts->api_keys.get();
    ctx->redis = parts->redis.get();
    ctx->trusted_proxies = &trusted_proxies_;
    if (config_.rate_limits) {
      parts->limit_cache = std::make_unique<LimitCache>(*parts->pg, &ctx->background, config_.rate_limit_cache_ttl,
                                                        RateLimit{});
      parts->rate_limiter =
          std::make_unique<RateLimiter>(parts->redis.get(), config_.redis_fail_open, &ctx->background);
      ctx->limit_cache = parts->limit_cache.get();
      ctx->rate_limiter = parts->rate_limiter.get();
    }
  }
  contexts_[core] = std::move(ctx);
  parts_[core] = std::move(parts);
  // Start-up only: wait until every core has built its pools, then introduce them.
  built_.arrive_and_wait();
  if (enabled()) {
    std::vector<SlotPool*> slots;
    std::vector<UserLeases*> leases;
    for (auto& p : parts_) {
      slots.push_back(p->slots.get());
      leases.push_back(p->leases.get());
    }
    parts_[core]->slots->set_peers(slots);
    parts_[core]->leases->set_peers(leases);
    if (auto st = co_await parts_[core]->pg->start(); !st.ok()) co_return st;
    if (parts_[core]->redis) {
      if (auto st = co_await parts_[core]->redis->start(); !st.ok()) {
        if (!config_.redis_fail_open) co_return st;
        log_event(LogLevel::warn, "redis_unavailable_at_start", {{"error", st.error().message}});
      }
    }
    if (core == 0 && config_.janitor_interval.count() > 0) {  // the advisory lock picks one instance
      CoreParts& p = *parts_[0];
      p.janitor = std::make_unique<JanitorTask>(r, config_.pg_url, *p.store, p.redis.get(), config_.janitor_interval,
                                                JanitorOptions::from(config_));
      co_await p.janitor->start();
    }
    if (core == 0 && events_) events_->start();  // its own thread: never blocks a reactor
    if (core == 0 && config_.thumbnails) {
      // Core 0 claims jobs and streams originals (I/O); libvips decodes on the thumbnailer's own
      // worker threads. The per-image libvips threads stay at 1 so the reactors keep their cores.
      CoreParts& p = *parts_[0];
      p.thumbnailer = std::make_unique<Thumbnailer>(r, config_.pg_url, *p.store, thumbnailer_options(config_),
                                                    *thumbnail_stats_);
      if (auto st = co_await p.thumbnailer->start(); !st.ok()) co_return st;
    }
  }
  co_return Status();
}

Task<void> Service::stop_core(Reactor& r) {
  unsigned core = r.core();
  if (!contexts_[core]) co_return;
  co_await contexts_[core]->background.wait();
  CoreParts& p = *parts_[core];
  if (p.janitor) co_await p.janitor->stop();
  if (p.thumbnailer) co_await p.thumbnailer->stop();
  if (core == 0 && events_) events_->stop();  // ends its turn (bounded by the ack wait) and joins
  if (p.store) co_await p.store->shutdown();
  if (p.redis) co_await p.redis->close();
  if (p.pg) co_await p.pg->close();
}

}  // namespace sluice

namespace sluice {

void Service::set_http_stats(unsigned core, const HttpServerStats* stats) {
  if (core < contexts_.size() && contexts_[core]) contexts_[core]->http_stats = stats;
}

void Service::set_stopping(unsigned core) {
  if (core < contexts_.size() && contexts_[core]) contexts_[core]->stopping = true;
}

}  // namespace sluice
