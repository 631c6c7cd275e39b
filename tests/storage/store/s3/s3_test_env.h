// Test support: S3Store options for a test peer given by URL ("http://127.0.0.1:PORT"), with
// small parts so multipart paths run on small objects.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "storage/store/s3/s3_store.h"

namespace sluice::testing {

inline std::optional<s3::S3Endpoint> endpoint_from_url(const std::string& url) {
  s3::S3Endpoint e;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  e.scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  e.host = rest.substr(0, colon);
  e.port = static_cast<uint16_t>(std::atoi(rest.c_str() + colon + 1));
  e.path_style = true;
  e.region = "us-east-1";
  return e;
}

inline S3StoreOptions test_s3_options(const std::string& url, std::string bucket, std::string key_id,
                                      std::string secret) {
  S3StoreOptions o;
  if (auto e = endpoint_from_url(url)) o.endpoint = *e;
  o.endpoint.bucket = std::move(bucket);
  o.credentials.access_key_id = std::move(key_id);
  o.credentials.secret_access_key = std::move(secret);
  o.part_size = 5 * s3::kMiB;
  o.multipart_threshold = 5 * s3::kMiB;
  o.request_timeout = std::chrono::seconds(20);
  o.pool.connection.io_timeout = std::chrono::seconds(20);
  return o;
}

// The moto endpoint from SLUICE_TEST_S3_ENDPOINT, or a test failure naming the variable.
inline std::optional<std::string> moto_url() {
  const char* url = std::getenv("SLUICE_TEST_S3_ENDPOINT");
  if (!url || !*url) {
    ADD_FAILURE() << "SLUICE_TEST_S3_ENDPOINT is not set: run the tests through tools/test, which starts "
                     "moto_server and exports it";
    return std::nullopt;
  }
  return std::string(url);
}

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace sluice::testing
