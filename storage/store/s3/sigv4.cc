#include "storage/store/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace sluice::s3 {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

void append_hex(std::string& out, const unsigned char* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHexLower[data[i] >> 4]);
    out.push_back(kHexLower[data[i] & 0xF]);
  }
}

void hmac_sha256(const void* key, size_t key_len, std::string_view data, unsigned char out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key, static_cast<int>(key_len),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
}

// RFC 7230 token characters: what a header name may contain.
bool is_token_char(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_signed_header(std::string_view lower) {
  return lower.starts_with("x-amz-") || lower == "content-type" || lower == "content-md5" ||
         lower == "range" || lower == "date";
}

// Trims and collapses runs of spaces, as SigV4 canonical header values require.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool valid_payload_hash(std::string_view h) {
  if (h == kUnsignedPayload || h.starts_with("STREAMING-")) return true;
  if (h.size() != 64) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status validate_common(std::string_view method, std::string_view host, std::string_view path) {
  if (method.empty() || !std::all_of(method.begin(), method.end(),
                                     [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Error(Errc::invalid_argument, "SigV4: method must be upper-case letters, got '" +
                                             std::string(method) + "'");
  }
  if (host.empty() || host.find_first_of(" \t\r\n/") != std::string_view::npos) {
    return Error(Errc::invalid_argument, "SigV4: host '" + std::string(host) + "' is empty or malformed");
  }
  if (path.empty() || path.front() != '/') {
    return Error(Errc::invalid_argument, "SigV4: path must start with '/', got '" +
                                             std::string(path) + "'");
  }
  return {};
}

}  // namespace

std::string s3_uri_encode(std::string_view in, bool encode_slash) {
  std::string out;
  out.reserve(in.size() + in.size() / 4);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out;
  out.reserve(64);
  append_hex(out, digest, sizeof digest);
  return out;
}

std::string format_amz_date(std::chrono::sys_seconds t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{t - day};
  // Hand-formatted: snprintf showed up in the signing profile.
  auto year = static_cast<unsigned>(static_cast<int>(ymd.year()));
  unsigned fields[] = {year / 100, year % 100, static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), static_cast<unsigned>(hms.hours().count()),
                       static_cast<unsigned>(hms.minutes().count()),
                       static_cast<unsigned>(hms.seconds().count())};
  std::string out(16, 'Z');
  size_t at = 0;
  for (size_t i = 0; i < 7; ++i) {
    if (i == 4) out[at++] = 'T';
    out[at++] = static_cast<char>('0' + fields[i] / 10 % 10);
    out[at++] = static_cast<char>('0' + fields[i] % 10);
  }
  return out;
}

std::string canonical_query_string(std::span<const SigV4Param> query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  size_t total = 0;
  for (const auto& p : query) {
    encoded.emplace_back(s3_uri_encode(p.name, true), s3_uri_encode(p.value, true));
    total += encoded.back().first.size() + encoded.back().second.size() + 2;
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  out.reserve(total);
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

struct SigV4Signer::Canonical {
  std::string text;
  std::string signed_headers;
  std::string amz_date;
};

void SigV4Signer::EvpFree::operator()(EVP_MD* md) const { EVP_MD_free(md); }
void SigV4Signer::EvpFree::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

SigV4Signer::SigV4Signer(S3Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)),
      sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      scratch_(EVP_MD_CTX_new()),
      inner_(EVP_MD_CTX_new()),
      outer_(EVP_MD_CTX_new()) {}

Result<SigV4Signer::Canonical> SigV4Signer::canonicalize(const SigV4Request& r) const {
  if (auto st = validate_common(r.method, r.host, r.path); !st) return std::move(st).error();
  if (!valid_payload_hash(r.payload_hash)) {
    return Error(Errc::invalid_argument,
                 "SigV4: payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD");
  }
  Canonical c;
  c.amz_date = format_amz_date(r.timestamp);

  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(r.headers.size() + 4);
  headers.emplace_back("host", std::string(r.host));
  headers.emplace_back("x-amz-content-sha256", std::string(r.payload_hash));
  headers.emplace_back("x-amz-date", c.amz_date);
  if (!credentials_.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }
  for (const auto& h : r.headers) {
    if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_token_char)) {
      return Error(Errc::invalid_argument, "SigV4: bad header name '" + std::string(h.name) + "'");
    }
    if (h.value.find_first_of("\r\n") != std::string_view::npos) {
      return Error(Errc::invalid_argument,
                   "SigV4: header '" + std::string(h.name) + "' has a line break in its value");
    }
    std::string lower(h.name);
    std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
    if (lower == "host" || lower == "x-amz-date" || lower == "x-amz-content-sha256" ||
        lower == "x-amz-security-token" || lower == "authorization") {
      return Error(Errc::invalid_argument,
                   "SigV4: header '" + lower + "' is set by the signer; do not pass it");
    }
    if (!is_signed_header(lower)) continue;
    headers.emplace_back(std::move(lower), canonical_header_value(h.value));
  }
  // Stable so that repeated headers keep their order when their values are joined with ','.
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string query = canonical_query_string(r.query);
  std::string path = s3_uri_encode(r.path, false);
  c.text.reserve(256 + path.size() + query.size());
  c.text.append(r.method).push_back('\n');
  c.text.append(path).push_back('\n');
  c.text.append(query).push_back('\n');
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      c.text.back() = ',';  // replace the previous line's '\n'
    } else {
      c.text.append(headers[i].first).push_back(':');
      if (!c.signed_headers.empty()) c.signed_headers.push_back(';');
      c.signed_headers.append(headers[i].first);
    }
    c.text.append(headers[i].second).push_back('\n');
  }
  c.text.push_back('\n');
  c.text.append(c.signed_headers).push_back('\n');
  c.text.append(r.payload_hash);
  return c;
}

Result<std::string> SigV4Signer::canonical_request(const SigV4Request& request) const {
  auto c = canonicalize(request);
  if (!c) return std::move(c).error();
  return std::move(c->text);
}

std::string SigV4Signer::scope(std::string_view date8) const {
  std::string s;
  s.reserve(date8.size() + region_.size() + service_.size() + 16);
  s.append(date8).push_back('/');
  s.append(region_).push_back('/');
  s.append(service_).append("/aws4_request");
  return s;
}

std::string SigV4Signer::compose_string_to_sign(std::string_view amz_date,
                                                std::string_view hash_hex) const {
  std::string s;
  s.reserve(kAlgorithm.size() + amz_date.size() + region_.size() + service_.size() + 100);
  s.append(kAlgorithm).push_back('\n');
  s.append(amz_date).push_back('\n');
  s.append(scope(amz_date.substr(0, 8))).push_back('\n');
  s.append(hash_hex);
  return s;
}

std::string SigV4Signer::string_to_sign(std::string_view amz_date,
                                        std::string_view canonical_request) const {
  return compose_string_to_sign(amz_date, sha256_hex(canonical_request));
}

// Derives the day's key (once a day: four HMACs) and pre-hashes its HMAC pads into inner_ and
// outer_, so each signature's HMAC starts from a copied SHA-256 state.
bool SigV4Signer::select_signing_key(std::string_view date8) {
  if (std::string_view(key_date_.data(), key_date_.size()) == date8) return true;
  if (!sha256_ || !scratch_ || !inner_ || !outer_) return false;
  key_date_ = {};
  std::string secret = "AWS4" + credentials_.secret_access_key;
  unsigned char k_date[32], k_region[32], k_service[32], key[32];
  hmac_sha256(secret.data(), secret.size(), date8, k_date);
  hmac_sha256(k_date, 32, region_, k_region);
  hmac_sha256(k_region, 32, service_, k_service);
  hmac_sha256(k_service, 32, "aws4_request", key);
  OPENSSL_cleanse(secret.data(), secret.size());
  unsigned char ipad[64], opad[64];  // SHA-256's block; the 32-byte key is zero-padded
  for (size_t i = 0; i < 64; ++i) {
    unsigned char k = i < sizeof key ? key[i] : 0;
    ipad[i] = static_cast<unsigned char>(k ^ 0x36);
    opad[i] = static_cast<unsigned char>(k ^ 0x5c);
  }
  bool ok = EVP_DigestInit_ex(inner_.get(), sha256_.get(), nullptr) == 1 &&
            EVP_DigestUpdate(inner_.get(), ipad, sizeof ipad) == 1 &&
            EVP_DigestInit_ex(outer_.get(), sha256_.get(), nullptr) == 1 &&
            EVP_DigestUpdate(outer_.get(), opad, sizeof opad) == 1;
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  if (!ok) return false;
  std::memcpy(key_date_.data(), date8.data(), key_date_.size());
  ++key_derivations_;
  return true;
}

Result<std::string> SigV4Signer::signature(std::string_view amz_date,
                                           std::string_view canonical_request) {
  if (!select_signing_key(amz_date.substr(0, 8))) {
    return Error(Errc::internal, "SigV4: OpenSSL could not set up SHA-256");
  }
  EVP_MD_CTX* ctx = scratch_.get();
  unsigned char digest[32];
  unsigned int len = 0;
  if (EVP_DigestInit_ex(ctx, sha256_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, canonical_request.data(), canonical_request.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &len) != 1) {
    return Error(Errc::internal, "SigV4: SHA-256 of the canonical request failed");
  }
  std::string hash_hex;
  hash_hex.reserve(64);
  append_hex(hash_hex, digest, sizeof digest);
  std::string to_sign = compose_string_to_sign(amz_date, hash_hex);
  // HMAC = H(K^opad || H(K^ipad || message)), resuming from the pre-hashed pads.
  if (EVP_MD_CTX_copy_ex(ctx, inner_.get()) != 1 ||
      EVP_DigestUpdate(ctx, to_sign.data(), to_sign.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &len) != 1 ||
      EVP_MD_CTX_copy_ex(ctx, outer_.get()) != 1 ||
      EVP_DigestUpdate(ctx, digest, sizeof digest) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &len) != 1) {
    return Error(Errc::internal, "SigV4: HMAC-SHA256 of the string to sign failed");
  }
  std::string out;
  out.reserve(64);
  append_hex(out, digest, sizeof digest);
  return out;
}

Result<SigV4Headers> SigV4Signer::sign_headers(const SigV4Request& request) {
  auto c = canonicalize(request);
  if (!c) return std::move(c).error();
  std::string date8 = c->amz_date.substr(0, 8);
  SigV4Headers out;
  auto sig = signature(c->amz_date, c->text);
  if (!sig) return std::move(sig).error();
  out.authorization.reserve(200);
  out.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials_.access_key_id)
      .append("/")
      .append(scope(date8))
      .append(",SignedHeaders=")
      .append(c->signed_headers)
      .append(",Signature=")
      .append(*sig);
  out.amz_date = std::move(c->amz_date);
  out.content_sha256 = std::string(request.payload_hash);
  out.security_token = credentials_.session_token;
  return out;
}

Result<std::string> SigV4Signer::presign(std::string_view method, std::string_view host,
                                         std::string_view path,
                                         std::span<const SigV4Param> query,
                                         int64_t expires_seconds,
                                         std::chrono::sys_seconds timestamp,
                                         std::optional<uint64_t> content_length) {
  if (expires_seconds < 1 || expires_seconds > kMaxPresignExpiry) {
    return Error(Errc::invalid_argument,
                 "SigV4: presigned URL expiry must be between 1 and 604800 seconds (7 days), got " +
                     std::to_string(expires_seconds));
  }
  if (auto st = validate_common(method, host, path); !st) return std::move(st).error();
  static constexpr std::string_view kReserved[] = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",     "X-Amz-Expires",
      "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"};
  for (const auto& p : query) {
    for (auto r : kReserved) {
      if (iequals(p.name, r)) {
        return Error(Errc::invalid_argument,
                     "SigV4: query parameter '" + std::string(p.name) + "' is set by presign");
      }
    }
  }
  std::string amz_date = format_amz_date(timestamp);
  std::string credential = credentials_.access_key_id + "/" + scope(std::string_view(amz_date).substr(0, 8));
  std::string expires = std::to_string(expires_seconds);

  std::vector<SigV4Param> params(query.begin(), query.end());
  params.push_back({"X-Amz-Algorithm", kAlgorithm});
  params.push_back({"X-Amz-Credential", credential});
  params.push_back({"X-Amz-Date", amz_date});
  params.push_back({"X-Amz-Expires", expires});
  // Canonical headers in name order: content-length sorts before host.
  std::string_view signed_headers = content_length ? "content-length;host" : "host";
  params.push_back({"X-Amz-SignedHeaders", signed_headers});
  if (!credentials_.session_token.empty()) {
    params.push_back({"X-Amz-Security-Token", credentials_.session_token});
  }
  std::string qs = canonical_query_string(params);

  std::string canonical;
  canonical.reserve(qs.size() + path.size() + host.size() + 64);
  canonical.append(method).push_back('\n');
  canonical.append(s3_uri_encode(path, false)).push_back('\n');
  canonical.append(qs).push_back('\n');
  if (content_length) canonical.append("content-length:").append(std::to_string(*content_length)).push_back('\n');
  canonical.append("host:").append(host).append("\n\n").append(signed_headers).push_back('\n');
  canonical.append(kUnsignedPayload);

  auto sig = signature(amz_date, canonical);
  if (!sig) return std::move(sig).error();
  qs.append("&X-Amz-Signature=").append(*sig);
  return qs;
}

}  // namespace sluice::s3
