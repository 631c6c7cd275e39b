// Fuzzes SigV4's canonical encoding: s3_uri_encode of the input (as a key path and as a query
// value) must be exactly RFC 3986 unreserved bytes and %XX, and decode back to the input; the
// input, split at '\n' into path, query name=value pairs and header values, must canonicalize
// and sign (or fail cleanly), and presign deterministically.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store/s3/sigv4.h"

namespace {

using namespace sluice::s3;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is not what S3 signs
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void check_encoding(std::string_view in, bool encode_slash) {
  std::string out = s3_uri_encode(in, encode_slash);
  std::string decoded;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '%') {
      check(i + 2 < out.size());
      int hi = hex_value(out[i + 1]), lo = hex_value(out[i + 2]);
      check(hi >= 0 && lo >= 0);
      char byte = static_cast<char>(hi * 16 + lo);
      check(!unreserved(byte) && (encode_slash || byte != '/'));  // encoded only when it must be
      decoded.push_back(byte);
      i += 2;
    } else {
      check(unreserved(c) || (c == '/' && !encode_slash));
      decoded.push_back(c);
    }
  }
  check(decoded == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_encoding(text, false);
  check_encoding(text, true);

  // Line 1 the object path, then "name=value" query lines, a line "--", then header values.
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  std::string path = "/bucket/" + std::string(lines[0]);
  std::vector<SigV4Param> query, headers;
  std::vector<std::string> header_names;  // SigV4Param holds views
  header_names.reserve(32);
  bool in_headers = false;
  for (size_t i = 1; i < lines.size() && i < 32; ++i) {
    if (lines[i] == "--") {
      in_headers = true;
      continue;
    }
    size_t eq = lines[i].find('=');
    std::string_view name = lines[i].substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : lines[i].substr(eq + 1);
    if (in_headers) {
      header_names.push_back("x-amz-meta-" + std::string(name));
      headers.push_back({header_names.back(), value});
    } else {
      query.push_back({name, value});
    }
  }
  std::string canonical_query = canonical_query_string(query);
  for (char c : canonical_query) check(unreserved(c) || c == '%' || c == '=' || c == '&' || (c >= 'A' && c <= 'F'));

  // One signer, as each core keeps one: its day's signing key is derived once.
  static SigV4Signer signer(S3Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                            "us-east-1");
  SigV4Request request;
  request.method = "PUT";
  request.host = "127.0.0.1:9000";
  request.path = path;
  request.query = query;
  request.headers = headers;
  request.timestamp = std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000));
  auto canonical = signer.canonical_request(request);
  auto signed_headers = signer.sign_headers(request);
  check(canonical.ok() == signed_headers.ok());
  if (canonical.ok()) check(canonical->find(s3_uri_encode(path, false)) != std::string::npos);

  auto url1 = signer.presign("GET", request.host, path, query, 900, request.timestamp);
  auto url2 = signer.presign("GET", request.host, path, query, 900, request.timestamp);
  check(url1.ok() == url2.ok());
  if (url1.ok()) check(*url1 == *url2);
  return 0;
}
