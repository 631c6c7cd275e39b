// Where an S3 bucket lives and how to address a key in it (path-style or virtual-hosted):
// the Host header and request path to sign and send.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::s3 {

inline constexpr size_t kMaxKeyBytes = 1024;  // S3's object-key limit

struct S3Endpoint {
  std::string scheme = "https";  // "http" or "https"
  std::string host;              // "s3.us-east-1.amazonaws.com", "127.0.0.1", "[::1]"
  uint16_t port = 0;             // 0: the scheme's default
  std::string bucket;
  // Path-style ("host/bucket/key") for MinIO and local peers; virtual-hosted
  // ("bucket.host/key") for AWS, where path-style is deprecated.
  bool path_style = false;
  std::string region = "us-east-1";
};

// One request's address.
struct S3Target {
  std::string host_header;   // Host header value, ":port" only when not the default
  std::string path;          // raw path: what SigV4Request::path takes
  std::string encoded_path;  // percent-encoded path: what the request line carries
};

// Checks scheme, host and bucket name (3-63 of a-z 0-9 . -, starting and ending with a
// letter or digit; no dots when virtual-hosted, which would break TLS wildcard names).
[[nodiscard]] Status validate_endpoint(const S3Endpoint& endpoint);

// The address of `key` (raw, unencoded). An empty key addresses the bucket itself (List*,
// ListMultipartUploads). Fails for an over-long key or an invalid endpoint.
[[nodiscard]] Result<S3Target> s3_target(const S3Endpoint& endpoint, std::string_view key);

// "scheme://host[:port]/encoded/path[?query]"; query is already encoded (e.g. from presign).
std::string s3_url(const S3Endpoint& endpoint, const S3Target& target, std::string_view query);

}  // namespace sluice::s3
