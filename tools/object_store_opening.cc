#include "tools/object_store_opening.h"

#include <cstdlib>

#include "storage/service/master_keys_loading.h"
#include "storage/store/local/local_store.h"
#include "storage/store/s3/s3_store.h"

namespace sluice {

// The store `sluice serve` would open for this configuration.
Result<std::unique_ptr<ObjectStore>> open_object_store(Reactor& r, const ServiceConfig& c) {
  if (c.store == "local") {
    local::LocalStoreOptions lo;
    lo.root = c.local_dir;
    auto keys = load_master_keys(c);
    if (!keys.ok()) return std::move(keys).error();
    lo.keys = std::move(*keys);
    auto st = local::LocalStore::open(r, lo);
    if (!st.ok()) return std::move(st).error();
    return std::unique_ptr<ObjectStore>(std::move(*st));
  }
  if (c.store != "s3") return Error(Errc::invalid_argument, "SLUICE_STORE must be local or s3, got '" + c.store + "'");
  if (c.s3_bucket.empty()) return Error(Errc::invalid_argument, "SLUICE_S3_BUCKET is required with SLUICE_STORE=s3");
  s3::S3Endpoint e;
  std::string_view url = c.s3_endpoint;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return Error(Errc::invalid_argument,
                 "S3 endpoint must look like http(s)://host[:port], got '" + c.s3_endpoint + "'");
  e.scheme = std::string(url.substr(0, scheme_end));
  std::string_view hostport = url.substr(scheme_end + 3);
  if (!hostport.empty() && hostport.back() == '/') hostport.remove_suffix(1);
  auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    e.host = std::string(hostport.substr(0, colon));
    e.port = static_cast<uint16_t>(std::atoi(std::string(hostport.substr(colon + 1)).c_str()));
  } else {
    e.host = std::string(hostport);
  }
  e.bucket = c.s3_bucket;
  e.path_style = c.s3_path_style;
  e.region = c.s3_region;
  S3StoreOptions so;
  so.endpoint = e;
  so.credentials = s3::S3Credentials{c.s3_access_key, c.s3_secret_key, c.s3_session_token};
  so.tls.ca_file = c.s3_ca_file;
  so.sse = c.s3_sse;
  so.sse_kms_key_id = c.s3_sse_kms_key_id;
  auto st = S3Store::create(r, so);
  if (!st.ok()) return std::move(st).error();
  return std::unique_ptr<ObjectStore>(std::move(*st));
}

}  // namespace sluice
