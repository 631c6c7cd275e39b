#include "tools/server_config.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "core/log.h"
#include "core/socket_address.h"

namespace sluice {

namespace {

Result<uint64_t> parse_uint(std::string_view v) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    return Error(Errc::invalid_argument, "expected a non-negative integer, got '" + std::string(v) + "'");
  return n;
}

// "30", "30s", "500ms", "2m".
Result<Duration> parse_duration(std::string_view v) {
  uint64_t scale_ms = 1000;
  if (v.ends_with("ms")) {
    scale_ms = 1;
    v.remove_suffix(2);
  } else if (v.ends_with("s")) {
    v.remove_suffix(1);
  } else if (v.ends_with("m")) {
    scale_ms = 60000;
    v.remove_suffix(1);
  } else if (v.ends_with("h")) {
    scale_ms = 3'600'000;
    v.remove_suffix(1);
  } else if (v.ends_with("d")) {
    scale_ms = 86'400'000;
    v.remove_suffix(1);
  }
  auto n = parse_uint(v);
  if (!n.ok()) return Error(Errc::invalid_argument, "expected a duration like 30s, 500ms, 2m, 6h or 30d");
  return std::chrono::duration_cast<Duration>(std::chrono::milliseconds(*n * scale_ms));
}

struct Option {
  std::string flag;  // without leading dashes
  std::string env;
  std::string help;
  std::function<Status(ServerConfig&, std::string_view)> apply;
};

template <class T>
Status set_uint(T& field, std::string_view v, uint64_t min, uint64_t max) {
  auto n = parse_uint(v);
  if (!n.ok()) return n.error();
  if (*n < min || *n > max)
    return Error(Errc::invalid_argument,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::string(v));
  field = static_cast<T>(*n);
  return Status();
}

Status set_duration(Duration& field, std::string_view v) {
  auto d = parse_duration(v);
  if (!d.ok()) return d.error();
  field = *d;
  return Status();
}

Status set_string(std::string& field, std::string_view v) {
  field = std::string(v);
  return Status();
}

Status set_bool(bool& field, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes") field = true;
  else if (v == "false" || v == "0" || v == "no") field = false;
  else return Error(Errc::invalid_argument, "expected true or false");
  return Status();
}

// SLUICE_* switches spelled on/off (true/false accepted too).
Status set_on_off(bool& field, std::string_view v) {
  if (v == "on") v = "true";
  if (v == "off") v = "false";
  return set_bool(field, v);
}

std::vector<Option> options() {
  return {
      {"pg-url", "SLUICE_PG_URL", "PostgreSQL URL; without it only /health is served",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.pg_url, v); }},
      {"pg-connections", "SLUICE_PG_CONNECTIONS", "PostgreSQL connections per core (default 2)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.service.pg_connections, v, 1, 64); }},
      {"redis-url", "SLUICE_REDIS_URL", "redis://[user:pass@]host:port/db; without it limits are per instance",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.redis_url, v); }},
      {"redis-failure", "SLUICE_REDIS_FAILURE", "open (fall back to per-instance limits) or closed (refuse)",
       [](ServerConfig& c, std::string_view v) -> Status {
         if (v != "open" && v != "closed") return Error(Errc::invalid_argument, "expected open or closed");
         c.service.redis_fail_open = v == "open";
         return Status();
       }},
      {"lease-ttl", "SLUICE_LEASE_TTL", "per-user upload lease lifetime without renewal (default 2m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.lease_ttl, v); }},
      {"min-upload-rate", "SLUICE_MIN_UPLOAD_RATE",
       "upload bodies averaging fewer bytes/s than this over the window get 408 (default 1024; 0: off)",
       [](ServerConfig& c, std::string_view v) {
         return set_uint(c.service.min_upload_rate, v, 0, uint64_t{1} << 40);
       }},
      {"min-upload-rate-window", "SLUICE_MIN_UPLOAD_RATE_WINDOW",
       "the window the minimum upload rate is averaged over (default 60s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.min_upload_rate_window, v); }},
      {"store", "SLUICE_STORE", "object store: local (default) or s3",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.store, v); }},
      {"local-store-dir", "SLUICE_LOCAL_STORE_DIR", "directory of the local store (default ./var/objects)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.local_dir, v); }},
      {"encryption", "SLUICE_ENCRYPTION",
       "encrypt the local store's new objects at rest (on or off, default off; needs SLUICE_MASTER_KEY_FILE)",
       [](ServerConfig& c, std::string_view v) { return set_on_off(c.service.encryption, v); }},
      {"master-key-file", "SLUICE_MASTER_KEY_FILE",
       "current master key: 64 hex digits; its id is the file name without .key (e.g. var/master-keys/k1.key)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.master_key_file, v); }},
      {"master-keys-dir", "SLUICE_MASTER_KEYS_DIR",
       "older master keys (<id>.key files) still needed to read objects during a rotation",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.master_keys_dir, v); }},
      {"s3-endpoint", "SLUICE_S3_ENDPOINT", "S3 endpoint URL, e.g. https://s3.us-east-1.amazonaws.com",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_endpoint, v); }},
      {"s3-region", "SLUICE_S3_REGION", "S3 region (default us-east-1)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_region, v); }},
      {"s3-bucket", "SLUICE_S3_BUCKET", "S3 bucket",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_bucket, v); }},
      {"s3-path-style", "SLUICE_S3_PATH_STYLE", "path-style addressing (default true)",
       [](ServerConfig& c, std::string_view v) { return set_bool(c.service.s3_path_style, v); }},
      {"s3-access-key", "AWS_ACCESS_KEY_ID", "S3 access key id",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_access_key, v); }},
      {"s3-secret-key", "AWS_SECRET_ACCESS_KEY", "S3 secret access key",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_secret_key, v); }},
      {"s3-session-token", "AWS_SESSION_TOKEN", "S3 session token (temporary credentials)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_session_token, v); }},
      {"s3-max-connections", "SLUICE_S3_MAX_CONNECTIONS", "S3 connections per core (default 1024)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.service.s3_max_connections, v, 1, 1000000); }},
      {"s3-buffer-wait", "SLUICE_S3_BUFFER_WAIT",
       "how long a body of unknown length (a form upload) waits for a part buffer when the core's 64 MiB are in use, "
       "before 503 (default 30s; 0: at once)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.s3_buffer_wait, v); }},
      {"s3-ca-file", "SLUICE_S3_CA_FILE", "CA bundle for an https S3 endpoint (default: the system store)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_ca_file, v); }},
      {"s3-sse", "SLUICE_S3_SSE",
       "server-side encryption on every S3 PUT, checked on HEAD: AES256 or aws:kms (default: the bucket's)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_sse, v); }},
      {"s3-sse-kms-key-id", "SLUICE_S3_SSE_KMS_KEY_ID", "KMS key id or ARN with SLUICE_S3_SSE=aws:kms",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.s3_sse_kms_key_id, v); }},
      {"public-url", "SLUICE_PUBLIC_URL", "base URL clients reach this service at, for signed URLs (default: http://<listen address>)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.public_url, v); }},
      {"console-dir", "SLUICE_CONSOLE_DIR", "the web console's files (default: the source tree's tools/console)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.console_dir, v); }},
      {"console-vendor-dir", "SLUICE_CONSOLE_VENDOR_DIR",
       "where uppy.min.js and uppy.min.css are (default: build/node/node_modules/uppy/dist, from tools/services.sh)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.console_vendor_dir, v); }},
      {"url-secret", "SLUICE_URL_SECRET", "HMAC key (>= 32 bytes) of local-store signed URLs (default: random per process)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.url_secret, v); }},
      {"jwt-secret", "SLUICE_JWT_SECRET", "HS256 secret (>= 32 bytes)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.jwt_secret, v); }},
      {"jwks-file", "SLUICE_JWKS_FILE", "JWKS file with RS256/ES256 public keys",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.jwks_file, v); }},
      {"jwt-issuer", "SLUICE_JWT_ISSUER", "required iss claim",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.jwt_issuer, v); }},
      {"jwt-audience", "SLUICE_JWT_AUDIENCE", "required aud claim",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.jwt_audience, v); }},
      {"slots-per-core", "SLUICE_SLOTS_PER_CORE", "concurrent uploads per core (default 512)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.service.slots_per_core, v, 1, 1000000); }},
      {"slot-wait", "SLUICE_SLOT_WAIT", "how long an upload may wait for a slot (default 0: refuse)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.slot_wait, v); }},
      {"janitor-interval", "SLUICE_JANITOR_INTERVAL", "how often the janitor repairs leftovers (default 60s; 0: never)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.janitor_interval, v); }},
      {"stale-upload-after", "SLUICE_STALE_UPLOAD_AFTER",
       "multipart sessions without heartbeat for this long are aborted (default 15m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.stale_upload_after, v); }},
      {"tus-expiry", "SLUICE_TUS_EXPIRY",
       "a tus upload without a PATCH for this long expires; the janitor aborts it (default 24h)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.tus_expiry, v); }},
      {"upload-timeout", "SLUICE_UPLOAD_TIMEOUT",
       "direct uploads still 'uploading' after this long were cut off by a crash (default 360m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.upload_timeout, v); }},
      {"heartbeat-rate", "SLUICE_HEARTBEAT_RATE", "multipart heartbeats allowed per user per minute (default 60)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.service.heartbeat_rate, v, 1, 100000); }},
      {"presign-expiry", "SLUICE_PRESIGN_EXPIRY", "lifetime of a presigned part URL when the client asks none (default 15m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.presign_default_expiry, v); }},
      {"presign-min-expiry", "SLUICE_PRESIGN_MIN_EXPIRY", "shortest expiresIn a client may ask for (default 1m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.presign_min_expiry, v); }},
      {"presign-max-expiry", "SLUICE_PRESIGN_MAX_EXPIRY", "longest expiresIn a client may ask for (default 1440m, at most 7 days)",
       [](ServerConfig& c, std::string_view v) -> Status {
         if (auto s = set_duration(c.service.presign_max_expiry, v); !s.ok()) return s;
         if (c.service.presign_max_expiry > std::chrono::hours(24 * 7))
           return Error(Errc::invalid_argument, "must be at most 7 days (S3's limit)");
         return Status();
       }},
      {"audit-retention", "SLUICE_AUDIT_RETENTION",
       "how long audit log rows are kept: monthly partitions whose whole month is older are dropped (default 365d)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.audit_retention, v); }},
      {"trash-retention", "SLUICE_TRASH_RETENTION", "how long trashed files are kept before they are purged (default 30d)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.trash_retention, v); }},
      {"stale-purge-after", "SLUICE_STALE_PURGE_AFTER",
       "the janitor removes again the objects of purges left unfinished and of failed uploads this old (default 60s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.stale_purge_after, v); }},
      {"public-max-age", "SLUICE_PUBLIC_MAX_AGE", "Cache-Control max-age of public files (default 5m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.public_max_age, v); }},
      {"nats-url", "SLUICE_NATS_URL",
       "NATS server(s) the event relay publishes to (nats://host:4222[,...]; empty: no publishing)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.nats_url, v); }},
      {"events-prefix", "SLUICE_EVENTS_PREFIX", "subject prefix of events: <prefix>.<type> (default sluice.events)",
       [](ServerConfig& c, std::string_view v) -> Status {
         if (v.empty() || v.front() == '.' || v.back() == '.' ||
             v.find_first_of(" \t\r\n*>") != std::string_view::npos || v.find("..") != std::string_view::npos)
           return Error(Errc::invalid_argument, "must be dot-separated NATS subject tokens without wildcards");
         return set_string(c.service.events_prefix, v);
       }},
      {"events-stream", "SLUICE_EVENTS_STREAM", "JetStream stream of the events (default SLUICE_EVENTS)",
       [](ServerConfig& c, std::string_view v) -> Status {
         if (v.empty() || v.find_first_of(" \t\r\n.*>/\\") != std::string_view::npos)
           return Error(Errc::invalid_argument, "a stream name has no spaces, dots, wildcards or slashes");
         return set_string(c.service.events_stream, v);
       }},
      {"events-source", "SLUICE_EVENTS_SOURCE", "CloudEvents source of this instance (default /sluice/<hostname>)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.events_source, v); }},
      {"events-duplicate-window", "SLUICE_EVENTS_DUPLICATE_WINDOW",
       "JetStream de-duplication window, longer than a relay fail-over (default 10m)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.events_duplicate_window, v); }},
      {"events-stream-max-age", "SLUICE_EVENTS_STREAM_MAX_AGE", "how long the stream keeps events (default 7d)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.events_stream_max_age, v); }},
      {"events-retention", "SLUICE_EVENTS_RETENTION", "published outbox rows are deleted after this (default 24h)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.events_retention, v); }},
      {"events-unpublished-retention", "SLUICE_EVENTS_UNPUBLISHED_RETENTION",
       "without NATS every outbox row, with NATS dead letters, are deleted after this (default 7d; 0: never)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.events_unpublished_retention, v); }},
      {"rate-limits", "SLUICE_RATE_LIMITS",
       "per-principal request rate limits from the tiers (on or off, default on)",
       [](ServerConfig& c, std::string_view v) { return set_on_off(c.service.rate_limits, v); }},
      {"audit", "SLUICE_AUDIT",
       "record state-changing requests and non-owner content access in the audit log (on or off, default on)",
       [](ServerConfig& c, std::string_view v) { return set_on_off(c.service.audit, v); }},
      {"thumbnails", "SLUICE_THUMBNAILS",
       "make thumbnails of image uploads in this process (on or off, default on; off: run `sluice thumbnailer`)",
       [](ServerConfig& c, std::string_view v) { return set_on_off(c.service.thumbnails, v); }},
      {"thumbnail-sizes", "SLUICE_THUMBNAIL_SIZES", "thumbnail sizes, longest side in px, comma-separated (default 128,512)",
       [](ServerConfig& c, std::string_view v) -> Status {
         std::vector<int> sizes;
         while (!v.empty()) {
           size_t comma = v.find(',');
           unsigned size = 0;
           if (auto s = set_uint(size, v.substr(0, comma), 16, 4096); !s.ok()) return s;
           for (int had : sizes)
             if (had == static_cast<int>(size)) return Error(Errc::invalid_argument, "a size is listed twice");
           sizes.push_back(static_cast<int>(size));
           v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
         }
         if (sizes.empty() || sizes.size() > 8) return Error(Errc::invalid_argument, "give 1 to 8 sizes");
         c.service.thumbnail_sizes = std::move(sizes);
         return Status();
       }},
      {"thumbnail-threads", "SLUICE_THUMBNAIL_THREADS", "images decoded at once, each on a thread of its own (default 1)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.service.thumbnail_threads, v, 1, 64); }},
      {"thumbnail-max-pixels", "SLUICE_THUMBNAIL_MAX_PIXELS",
       "images with more pixels (width x height) are refused, not decoded (default 100000000)",
       [](ServerConfig& c, std::string_view v) {
         return set_uint(c.service.thumbnail_max_pixels, v, 1, uint64_t{1} << 40);
       }},
      {"thumbnail-timeout", "SLUICE_THUMBNAIL_TIMEOUT", "longest reading and decoding of one image (default 30s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.service.thumbnail_timeout, v); }},
      {"thumbnail-max-buffered", "SLUICE_THUMBNAIL_MAX_BUFFERED",
       "bytes of an image that must be read into memory to decode (TIFF) before it fails (default 67108864)",
       [](ServerConfig& c, std::string_view v) {
         return set_uint(c.service.thumbnail_max_buffered_bytes, v, 1 << 20, uint64_t{1} << 34);
       }},
      {"trusted-proxies", "SLUICE_TRUSTED_PROXIES",
       "CIDR list of proxies whose X-Forwarded-For/Forwarded names the client (default: none)",
       [](ServerConfig& c, std::string_view v) { return set_string(c.service.trusted_proxies, v); }},
      {"cors-origins", "SLUICE_CORS_ORIGINS",
       "comma-separated origins browsers may call the API from, or * (default: none)",
       [](ServerConfig& c, std::string_view v) -> Status {
         c.http.cors_origins.clear();
         while (!v.empty()) {
           size_t comma = v.find(',');
           std::string_view o = v.substr(0, comma);
           while (!o.empty() && o.front() == ' ') o.remove_prefix(1);
           while (!o.empty() && o.back() == ' ') o.remove_suffix(1);
           if (!o.empty()) {
             if (o != "*" && !o.starts_with("http://") && !o.starts_with("https://"))
               return Error(Errc::invalid_argument, "origins look like https://app.example.com, got '" + std::string(o) + "'");
             if (o.back() == '/') return Error(Errc::invalid_argument, "an origin has no path: '" + std::string(o) + "'");
             c.http.cors_origins.emplace_back(o);
           }
           v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
         }
         return Status();
       }},
      {"hsts", "SLUICE_HSTS",
       "Strict-Transport-Security max-age on every response, e.g. 365d (default 0: not sent)",
       [](ServerConfig& c, std::string_view v) -> Status {
         Duration d{};
         if (auto s = set_duration(d, v); !s.ok()) return s;
         c.http.hsts_max_age_seconds = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
         return Status();
       }},
      {"listen", "SLUICE_LISTEN", "address:port to listen on (default 127.0.0.1:8080)",
       [](ServerConfig& c, std::string_view v) -> Status {
         auto a = SocketAddress::parse(v);
         if (!a.ok()) return a.error();
         c.listen = std::string(v);
         return Status();
       }},
      {"tls-listen", "SLUICE_TLS_LISTEN",
       "address:port for HTTPS, beside the HTTP listener (default: none); needs SLUICE_TLS_CERT and SLUICE_TLS_KEY",
       [](ServerConfig& c, std::string_view v) -> Status {
         auto a = SocketAddress::parse(v);
         if (!a.ok()) return a.error();
         c.tls_listen = std::string(v);
         return Status();
       }},
      {"tls-cert", "SLUICE_TLS_CERT", "PEM file: the TLS certificate (then any intermediates); re-read on SIGHUP",
       [](ServerConfig& c, std::string_view v) -> Status {
         c.tls_cert = std::string(v);
         return Status();
       }},
      {"tls-key", "SLUICE_TLS_KEY", "PEM file: the TLS certificate's private key; re-read on SIGHUP",
       [](ServerConfig& c, std::string_view v) -> Status {
         c.tls_key = std::string(v);
         return Status();
       }},
      {"max-connections-per-core", "SLUICE_MAX_CONNECTIONS_PER_CORE",
       "open client connections per core; beyond it 503 and close (default: the fd limit / cores, less what upload slots hold)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.http.max_connections, v, 1, 10'000'000); }},
      {"cores", "SLUICE_CORES", "reactor threads, one per core (default: all available)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.cores, v, 1, 1024); }},
      {"drain-timeout", "SLUICE_DRAIN_TIMEOUT", "how long in-flight requests may finish on SIGTERM (default 30s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.drain_timeout, v); }},
      {"shutdown-delay", "SLUICE_SHUTDOWN_DELAY",
       "on SIGTERM, how long /health/ready says 503 while requests are still taken, before the drain (default 0s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.shutdown_delay, v); }},
      {"log-level", "SLUICE_LOG_LEVEL", "debug, info, warn or error (default info)",
       [](ServerConfig& c, std::string_view v) -> Status {
         LogLevel l;
         if (!parse_log_level(v, l)) return Error(Errc::invalid_argument, "expected debug, info, warn or error");
         c.log_level = std::string(v);
         return Status();
       }},
      {"header-timeout", "SLUICE_HEADER_TIMEOUT", "request head must arrive within (default 10s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.http.header_timeout, v); }},
      {"keepalive-timeout", "SLUICE_KEEPALIVE_TIMEOUT", "idle keep-alive connections close after (default 60s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.http.keepalive_timeout, v); }},
      {"body-timeout", "SLUICE_BODY_TIMEOUT", "request body idle timeout (default 30s)",
       [](ServerConfig& c, std::string_view v) { return set_duration(c.http.body_idle_timeout, v); }},
      {"max-header-bytes", "SLUICE_MAX_HEADER_BYTES", "request line + headers limit (default 16384)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.http.parser.max_head_bytes, v, 1024, 1 << 20); }},
      {"max-url-bytes", "SLUICE_MAX_URL_BYTES", "request URL limit (default 8192)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.http.parser.max_url_bytes, v, 256, 1 << 20); }},
      {"max-headers", "SLUICE_MAX_HEADERS", "request header count limit (default 100)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.http.parser.max_headers, v, 8, 10000); }},
      {"recv-buffers", "SLUICE_RECV_BUFFERS", "receive buffers per core, a power of two (default 256)",
       [](ServerConfig& c, std::string_view v) -> Status {
         auto s = set_uint(c.reactor.recv_buffer_count, v, 8, 32768);
         if (s.ok() && (c.reactor.recv_buffer_count & (c.reactor.recv_buffer_count - 1)) != 0)
           return Error(Errc::invalid_argument, "must be a power of two");
         return s;
       }},
      {"recv-buffer-size", "SLUICE_RECV_BUFFER_SIZE", "bytes per receive buffer (default 262144)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.reactor.recv_buffer_size, v, 4096, 1 << 20); }},
      {"recv-window", "SLUICE_RECV_WINDOW", "buffers queued per connection before backpressure (default 4)",
       [](ServerConfig& c, std::string_view v) { return set_uint(c.http.recv_window, v, 1, 64); }},
  };
}

std::string usage() {
  std::string u = "usage: sluice serve [flags]\n\nflags (each also settable by its environment variable):\n";
  for (const auto& o : options()) u += "  --" + o.flag + "=VALUE  (" + o.env + ")  " + o.help + "\n";
  return u;
}

}  // namespace

Result<ServerConfig> parse_server_config(const std::vector<std::string>& args) {
  ServerConfig c;
  auto opts = options();
  for (const auto& o : opts) {
    const char* v = std::getenv(o.env.c_str());
    if (!v) continue;
    if (auto s = o.apply(c, v); !s.ok())
      return Error(Errc::invalid_argument, o.env + "=" + v + ": " + s.error().message);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") return Error(Errc::cancelled, usage());
    if (!a.starts_with("--")) return Error(Errc::invalid_argument, "unexpected argument '" + std::string(a) + "'");
    a.remove_prefix(2);
    std::string name(a.substr(0, a.find('=')));
    std::string value;
    if (a.find('=') != std::string_view::npos) {
      value = std::string(a.substr(a.find('=') + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error(Errc::invalid_argument, "flag --" + name + " needs a value");
    }
    const Option* found = nullptr;
    for (const auto& o : opts)
      if (o.flag == name) found = &o;
    if (!found) return Error(Errc::invalid_argument, "unknown flag --" + name + " (see sluice serve --help)");
    if (auto s = found->apply(c, value); !s.ok())
      return Error(Errc::invalid_argument, "--" + name + "=" + value + ": " + s.error().message);
  }
  const ServiceConfig& sc = c.service;
  if (sc.presign_min_expiry < std::chrono::seconds(1) || sc.presign_min_expiry > sc.presign_max_expiry ||
      sc.presign_default_expiry < sc.presign_min_expiry || sc.presign_default_expiry > sc.presign_max_expiry)
    return Error(Errc::invalid_argument,
                 "presign expiries must satisfy 1s <= SLUICE_PRESIGN_MIN_EXPIRY <= SLUICE_PRESIGN_EXPIRY <= "
                 "SLUICE_PRESIGN_MAX_EXPIRY");
  if (sc.events_duplicate_window < std::chrono::seconds(1) || sc.events_duplicate_window > sc.events_stream_max_age)
    return Error(Errc::invalid_argument,
                 "SLUICE_EVENTS_DUPLICATE_WINDOW must be at least 1s and at most SLUICE_EVENTS_STREAM_MAX_AGE");
  if (sc.thumbnail_timeout < std::chrono::seconds(1))
    return Error(Errc::invalid_argument, "SLUICE_THUMBNAIL_TIMEOUT must be at least 1s");
  if (!c.tls_listen.empty() && (c.tls_cert.empty() || c.tls_key.empty()))
    return Error(Errc::invalid_argument, "SLUICE_TLS_LISTEN needs SLUICE_TLS_CERT and SLUICE_TLS_KEY");
  if (c.tls_listen.empty() && (!c.tls_cert.empty() || !c.tls_key.empty()))
    return Error(Errc::invalid_argument, "SLUICE_TLS_CERT/SLUICE_TLS_KEY are set but SLUICE_TLS_LISTEN is not");
  return c;
}

std::optional<ServerConfig> parse_command_config(const char* command, const char* usage,
                                                 const std::vector<std::string>& args, bool* once, int* exit_code) {
  *once = false;
  std::vector<std::string> rest;
  for (const auto& a : args) {
    if (a == "--once")
      *once = true;
    else
      rest.push_back(a);
  }
  auto cfg = parse_server_config(rest);
  if (cfg.ok()) return std::move(*cfg);
  if (cfg.error().code == Errc::cancelled) {
    std::printf("usage: %s\n\n%s", usage, cfg.error().message.c_str());
    *exit_code = 0;
  } else {
    std::fprintf(stderr, "sluice %s: %s\n", command, cfg.error().message.c_str());
    *exit_code = 2;
  }
  return std::nullopt;
}

}  // namespace sluice
