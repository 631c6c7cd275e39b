// ServiceConfig: the product's settings (database, Redis, object store, auth, limits), set by
// `sluice serve` flags and SLUICE_* variables.
#pragma once

#include <string>

#include "core/clock.h"

namespace sluice {

struct ServiceConfig {
  std::string pg_url;  // empty: only /health is served
  unsigned pg_connections = 2;
  std::string redis_url;  // empty: per-instance limits (single instance)
  bool redis_fail_open = true;
  Duration lease_ttl = std::chrono::minutes(2);

  std::string store = "local";  // "local" or "s3"
  std::string local_dir = "./var/objects";
  std::string s3_endpoint;  // http(s)://host[:port]
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  bool s3_path_style = true;
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string s3_session_token;

  std::string public_url = "http://127.0.0.1:8080";  // base of locally signed URLs
  std::string url_secret;                            // HMAC key for local URLs (default: JWT secret)

  std::string jwt_secret;
  std::string jwks_file;
  std::string jwt_issuer;
  std::string jwt_audience;

  unsigned slots_per_core = 512;
  Duration slot_wait{0};
};

}  // namespace sluice
