#include "storage/store/s3/s3_endpoint.h"

#include "storage/store/s3/sigv4.h"

namespace sluice::s3 {
namespace {

uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Status validate_endpoint(const S3Endpoint& e) {
  if (e.scheme != "http" && e.scheme != "https") {
    return Error(Errc::invalid_argument, "S3 endpoint scheme must be http or https, got '" + e.scheme + "'");
  }
  if (e.host.empty() || e.host.find_first_of("/ \t\r\n?#@") != std::string::npos) {
    return Error(Errc::invalid_argument, "S3 endpoint host '" + e.host + "' is empty or malformed");
  }
  const std::string& b = e.bucket;
  bool ok = b.size() >= 3 && b.size() <= 63 && is_lower_alnum(b.front()) && is_lower_alnum(b.back());
  for (char c : b) ok = ok && (is_lower_alnum(c) || c == '-' || c == '.');
  if (!ok) {
    return Error(Errc::invalid_argument,
                 "S3 bucket name '" + b +
                     "' is invalid: 3-63 characters of a-z, 0-9, '.', '-', starting and ending "
                     "with a letter or digit");
  }
  if (!e.path_style && b.find('.') != std::string::npos) {
    return Error(Errc::invalid_argument,
                 "S3 bucket '" + b + "' has dots: use path-style addressing for it");
  }
  return {};
}

Result<S3Target> s3_target(const S3Endpoint& e, std::string_view key) {
  if (auto st = validate_endpoint(e); !st) return std::move(st).error();
  if (key.size() > kMaxKeyBytes) {
    return Error(Errc::invalid_argument, "S3 object key is " + std::to_string(key.size()) +
                                             " bytes; the limit is 1024");
  }
  S3Target t;
  if (!e.path_style) t.host_header = e.bucket + ".";
  t.host_header += e.host;
  if (e.port != 0 && e.port != default_port(e.scheme)) {
    t.host_header.push_back(':');
    t.host_header += std::to_string(e.port);
  }
  t.path.reserve(key.size() + e.bucket.size() + 2);
  t.path.push_back('/');
  if (e.path_style) {
    t.path += e.bucket;
    if (!key.empty()) t.path += "/";
  }
  t.path += key;
  t.encoded_path = s3_uri_encode(t.path, false);
  return t;
}

std::string s3_url(const S3Endpoint& e, const S3Target& t, std::string_view query) {
  std::string url;
  url.reserve(e.scheme.size() + t.host_header.size() + t.encoded_path.size() + query.size() + 5);
  url.append(e.scheme).append("://").append(t.host_header).append(t.encoded_path);
  if (!query.empty()) url.append("?").append(query);
  return url;
}

}  // namespace sluice::s3
