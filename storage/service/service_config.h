// ServiceConfig: the product's settings (database, Redis, object store, auth, limits), set by
// `sluice serve` flags and SLUICE_* variables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"

namespace sluice {

struct ServiceConfig {
  std::string pg_url;  // empty: only /health is served
  unsigned pg_connections = 2;
  std::string redis_url;  // empty: per-instance limits (single instance)
  bool redis_fail_open = true;
  Duration lease_ttl = std::chrono::minutes(2);  // leases are renewed every ttl/3 while bytes move
  // An upload body averaging below this over the window gets 408 and releases everything.
  uint64_t min_upload_rate = 1024;  // bytes per second; 0: no minimum
  Duration min_upload_rate_window = std::chrono::seconds(60);

  std::string store = "local";  // "local" or "s3"
  std::string local_dir = "./var/objects";
  // Encryption at rest of the local store (storage/store/local/segment_cipher.h): new objects are
  // sealed under a data key wrapped by the master key in `master_key_file`; `master_keys_dir`
  // holds older master keys that objects not yet rekeyed need.
  bool encryption = false;
  std::string master_key_file;
  std::string master_keys_dir;
  std::string s3_endpoint;  // http(s)://host[:port]
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  bool s3_path_style = true;
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string s3_session_token;
  std::string s3_ca_file;
  std::string s3_sse;             // "", "AES256" or "aws:kms" (S3StoreOptions::sse)
  std::string s3_sse_kms_key_id;  // with aws:kms: the KMS key (default: the account's S3 key)
  // Upstream connections per core: every streaming upload holds one while it runs, so this caps
  // file descriptors (clients + upstream must fit RLIMIT_NOFILE); uploads beyond it wait.
  unsigned s3_max_connections = 1024;
  Duration s3_buffer_wait = std::chrono::seconds(30);  // a body of unknown length waits this long for a part buffer  // https endpoints: extra CA bundle (default: the system's)

  // Base of locally signed URLs. Empty: path-only URLs; `sluice serve` sets it to
  // http://<listen address> when SLUICE_PUBLIC_URL is not set.
  std::string public_url;
  // HMAC key of local-store signed URLs, never the JWT secret. Empty: a random key per process
  // (URLs then die with the process and do not work across instances).
  std::string url_secret;

  // The web console (storage/api/console_assets.h): its files and the Uppy bundle; empty: the
  // source tree's tools/console and build/node (a missing default only turns the console off).
  std::string console_dir;
  std::string console_vendor_dir;

  std::string jwt_secret;
  std::string jwks_file;
  std::string jwt_issuer;
  std::string jwt_audience;

  unsigned slots_per_core = 512;
  Duration slot_wait{0};

  // Client-driven multipart sessions and the janitor that repairs what is left behind.
  Duration janitor_interval = std::chrono::seconds(60);     // 0: no background janitor
  Duration stale_upload_after = std::chrono::minutes(15);   // session without heartbeat: aborted
  Duration upload_timeout = std::chrono::hours(6);          // direct upload still 'uploading': dead
  Duration tus_expiry = std::chrono::hours(24);             // tus upload without a PATCH: expired
  unsigned heartbeat_rate = 60;                             // heartbeats per user per minute
  Duration presign_default_expiry = std::chrono::minutes(15);
  Duration presign_min_expiry = std::chrono::minutes(1);
  Duration presign_max_expiry = std::chrono::hours(24);

  // The files API.
  Duration trash_retention = std::chrono::hours(24 * 30);  // trashed files are purged after this
  Duration stale_purge_after = std::chrono::seconds(60);   // unfinished purges, failed uploads' objects
  Duration public_max_age = std::chrono::minutes(5);       // Cache-Control max-age of public files
  // The audit log (sluice.audit_log): the janitor drops its monthly partitions once their whole
  // month is older than this.
  Duration audit_retention = std::chrono::hours(24 * 365);

  // Events: the outbox relay to NATS JetStream (storage/service/events/event_relay.h).
  std::string nats_url;                          // empty: nothing published; the outbox is only pruned
  std::string events_prefix = "sluice.events";   // subjects <prefix>.<type>
  std::string events_stream = "SLUICE_EVENTS";
  std::string events_source;                     // CloudEvents source; empty: /sluice/<hostname>
  Duration events_duplicate_window = std::chrono::minutes(10);   // > the worst relay fail-over gap
  Duration events_stream_max_age = std::chrono::hours(24 * 7);   // how long the stream keeps events
  Duration events_retention = std::chrono::hours(24);            // published outbox rows, then deleted
  // Without NATS: every outbox row is deleted after this; with NATS: dead letters only. 0: never.
  Duration events_unpublished_retention = std::chrono::hours(24 * 7);
  // Request rate limits per principal from the tiers (storage/service/ratelimit); SLUICE_RATE_LIMITS=off
  // turns them off (test suites and benchmarks that send bursts as one user do).
  bool rate_limits = true;
  // The audit log (storage/api/audit_trail.h): one row per audited request; SLUICE_AUDIT=off
  // turns recording off (the rows already written and the read endpoints stay).
  bool audit = true;
  std::string trusted_proxies;  // CIDR list whose X-Forwarded-For / Forwarded is believed
  Duration rate_limit_cache_ttl = std::chrono::seconds(5);  // tier / override changes apply within it

  // Thumbnails of image uploads (storage/service/thumbnails): made off the reactors, on
  // `thumbnail_threads` worker threads of their own.
  bool thumbnails = true;                 // `sluice serve` runs a thumbnailer (off: only `sluice thumbnailer` does)
  std::vector<int> thumbnail_sizes{128, 512};  // longest side, pixels
  unsigned thumbnail_threads = 1;
  uint64_t thumbnail_max_pixels = 100'000'000;     // larger images are refused (decompression bombs)
  Duration thumbnail_timeout = std::chrono::seconds(30);  // reading and decoding one image
  uint64_t thumbnail_max_buffered_bytes = 64ull << 20;    // formats that must seek (TIFF) are buffered up to this
};

}  // namespace sluice
