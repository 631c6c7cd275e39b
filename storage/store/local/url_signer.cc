#include "storage/store/local/url_signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "storage/store/local/key_path.h"
#include "storage/store/local/upload_layout.h"
#include "storage/store/stream_digest.h"

namespace sluice::local {

namespace {

// Fields are separated by '\n'. Only the key can contain '\n'; every field after it (upload id
// hex, integers, '-', length-prefixed overrides) cannot end early, so reading from the end makes
// the form unambiguous. v2 added the length ('-' when the URL binds none); v3 the response
// overrides of a GET (a download's disposition and type), each as "<bytes>:<text>".
std::string canonical(std::string_view method, std::string_view key, std::string_view upload_id, int part_number,
                      int64_t expires_at_unix, std::optional<uint64_t> length, const ResponseOverrides& overrides) {
  std::string s = "sluice-local-url-v3\n";
  s += method;
  s.push_back('\n');
  s += key;
  s.push_back('\n');
  s += upload_id;
  s.push_back('\n');
  s += std::to_string(part_number);
  s.push_back('\n');
  s += std::to_string(expires_at_unix);
  s.push_back('\n');
  s += length ? std::to_string(*length) : std::string("-");
  for (const std::string* field : {&overrides.content_disposition, &overrides.content_type}) {
    s.push_back('\n');
    s += std::to_string(field->size());
    s.push_back(':');
    s += *field;
  }
  return s;
}

Error denied(std::string msg) { return Error(Errc::permission_denied, std::move(msg)); }

}  // namespace

std::string encode_key_for_url(std::string_view key) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    out += encode_segment(key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    out.push_back('/');
    start = slash + 1;
  }
}

LocalUrlSigner::LocalUrlSigner(LocalUrlSignerOptions options) : options_(std::move(options)) {
  while (!options_.public_base_url.empty() && options_.public_base_url.back() == '/')
    options_.public_base_url.pop_back();
}

std::string LocalUrlSigner::sign(std::string_view method, std::string_view key, std::string_view upload_id,
                                 int part_number, int64_t expires_at_unix, std::optional<uint64_t> length,
                                 const ResponseOverrides& overrides) const {
  std::string msg = canonical(method, key, upload_id, part_number, expires_at_unix, length, overrides);
  unsigned char mac[32];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, options_.secret.data(), options_.secret.size(),
                reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, sizeof(mac), &len) == nullptr)
    return {};  // OpenSSL without HMAC-SHA256: nothing verifies, which fails closed
  return to_hex(std::span<const unsigned char>(mac, len));
}

Result<PresignedUrl> LocalUrlSigner::presign(PresignMethod method, const std::string& key,
                                             const std::string& upload_id, int part_number,
                                             int64_t expires_seconds, int64_t now_unix,
                                             std::optional<uint64_t> length,
                                             const ResponseOverrides& overrides) const {
  if (options_.secret.empty())
    return Error(Errc::unavailable, "local store has no URL signing secret configured");
  if (Status s = validate_key(key); !s.ok()) return std::move(s).error();
  if (expires_seconds < options_.min_expiry_seconds || expires_seconds > options_.max_expiry_seconds)
    return Error(Errc::invalid_argument, "presigned URL expiry must be within " +
                                             std::to_string(options_.min_expiry_seconds) + ".." +
                                             std::to_string(options_.max_expiry_seconds) + " seconds");
  std::string_view id;
  int part = 0;
  if (method == PresignMethod::upload_part) {
    if (!is_upload_id(upload_id)) return Error(Errc::invalid_argument, "malformed multipart upload id");
    if (part_number < 1 || part_number > kMaxPartNumber)
      return Error(Errc::invalid_argument, "part number must be within 1.." + std::to_string(kMaxPartNumber));
    id = upload_id;
    part = part_number;
  }
  if (method == PresignMethod::get) length.reset();  // only an upload has a body to bind
  const ResponseOverrides none;
  const ResponseOverrides& answered = method == PresignMethod::get ? overrides : none;  // only a GET answers bytes
  PresignedUrl out;
  out.method = method == PresignMethod::get ? "GET" : "PUT";
  out.expires_at_unix = now_unix + expires_seconds;
  std::string sig = sign(out.method, key, id, part, out.expires_at_unix, length, answered);
  if (sig.empty()) return Error(Errc::internal, "HMAC-SHA256 is unavailable in OpenSSL");
  out.url = options_.public_base_url;
  out.url += kLocalObjectsRoute;
  out.url += encode_key_for_url(key);
  out.url += "?method=" + out.method + "&expires=" + std::to_string(out.expires_at_unix);
  if (method == PresignMethod::upload_part) out.url += "&upload_id=" + upload_id + "&part=" + std::to_string(part);
  if (length) {
    out.url += "&length=" + std::to_string(*length);
    out.headers.emplace_back("Content-Length", std::to_string(*length));
  }
  if (!answered.content_disposition.empty())
    out.url += "&" + std::string(kDispositionParam) + "=" + encode_segment(answered.content_disposition);
  if (!answered.content_type.empty())
    out.url += "&" + std::string(kContentTypeParam) + "=" + encode_segment(answered.content_type);
  out.url += "&sig=" + sig;
  return out;
}

Status LocalUrlSigner::verify(std::string_view method, std::string_view key, std::string_view upload_id,
                              int part_number, int64_t expires_at_unix, std::string_view signature_hex,
                              int64_t now_unix, std::optional<uint64_t> length,
                              const ResponseOverrides& overrides) const {
  if (options_.secret.empty()) return denied("local store has no URL signing secret configured");
  if (method != "GET" && method != "PUT") return denied("presigned URL method must be GET or PUT");
  if (!upload_id.empty() && !is_upload_id(upload_id)) return denied("presigned URL has a malformed upload id");
  std::string expected = sign(method, key, upload_id, part_number, expires_at_unix, length, overrides);
  if (expected.empty() || signature_hex.size() != expected.size() ||
      CRYPTO_memcmp(expected.data(), signature_hex.data(), expected.size()) != 0)
    return denied("presigned URL signature does not match");
  if (now_unix > expires_at_unix) return denied("presigned URL expired");
  return {};
}

}  // namespace sluice::local
