// AWS Signature Version 4 for S3: signs requests (Authorization header) and presigns URLs.
// Pure computation over OpenSSL's SHA-256/HMAC; the caller injects the clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "core/result.h"

namespace sluice::s3 {

// S3's flavour of RFC 3986 percent-encoding: A-Za-z0-9 and -._~ are kept, every other byte
// (including each byte of a UTF-8 sequence) becomes %XX with upper-case hex. '/' is kept only
// when encode_slash is false (object-key paths); query names and values use encode_slash=true.
std::string s3_uri_encode(std::string_view in, bool encode_slash);

// Lower-case hex SHA-256 of data: the x-amz-content-sha256 value for a body.
std::string sha256_hex(std::string_view data);

// "20130524T000000Z" for a UTC time.
std::string format_amz_date(std::chrono::sys_seconds t);

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string, the payload hash of GET/HEAD/DELETE.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr int64_t kMaxPresignExpiry = 604800;  // 7 days, S3's limit

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

// A name/value pair: a query parameter or a header, both raw (not encoded).
struct SigV4Param {
  std::string_view name;
  std::string_view value;
};

// What is signed. Paths and query parameters are RAW (not yet percent-encoded): the signer
// encodes them exactly once, so the caller must send `s3_uri_encode(path, false)` and
// `canonical_query_string(query)` on the request line to match what was signed.
struct SigV4Request {
  std::string_view method{};      // "GET", "PUT", ...
  std::string_view host{};        // the Host header as sent, with ":port" if not the default
  std::string_view path = "/";    // raw path starting with '/', e.g. "/bucket/a b.txt"
  std::span<const SigV4Param> query{};
  // Headers the request will carry. Signed: content-type, content-md5, range, date and every
  // x-amz-*; others (user-agent, content-length, expect...) are left unsigned so proxies may
  // touch them. host, x-amz-date, x-amz-content-sha256 and x-amz-security-token are the
  // signer's own and must not be passed.
  std::span<const SigV4Param> headers{};
  // Hex SHA-256 of the body, or UNSIGNED-PAYLOAD.
  std::string_view payload_hash = kEmptyPayloadSha256;
  std::chrono::sys_seconds timestamp{};
};

// Headers to add to the request.
struct SigV4Headers {
  std::string authorization;
  std::string amz_date;        // x-amz-date
  std::string content_sha256;  // x-amz-content-sha256
  std::string security_token;  // x-amz-security-token; empty when there is no session token
};

// Sorted, encoded "a=1&b=2" of raw parameters: the canonical query, also what to send.
std::string canonical_query_string(std::span<const SigV4Param> query);

// Signs for one region and service. Keeps the derived signing key for the current day (with
// its HMAC pads pre-hashed) and a fetched SHA-256, so a signature costs a SHA-256 of the
// canonical request and one HMAC, with no OpenSSL lookups. Not thread-safe: one per core.
class SigV4Signer {
 public:
  SigV4Signer(S3Credentials credentials, std::string region, std::string service = "s3");

  [[nodiscard]] Result<SigV4Headers> sign_headers(const SigV4Request& request);

  // The query string (no leading '?') of a presigned URL: the caller's parameters plus
  // X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders=host, (-Security-Token),
  // sorted, then X-Amz-Signature. expires_seconds must be within 1..604800. With
  // `content_length`, Content-Length is signed too (SignedHeaders=content-length;host): the
  // URL then stores exactly that many bytes, no more.
  [[nodiscard]] Result<std::string> presign(std::string_view method, std::string_view host,
                                            std::string_view path,
                                            std::span<const SigV4Param> query,
                                            int64_t expires_seconds,
                                            std::chrono::sys_seconds timestamp,
                                            std::optional<uint64_t> content_length = std::nullopt);

  // The intermediate texts, exposed so tests can compare them with AWS's worked examples.
  [[nodiscard]] Result<std::string> canonical_request(const SigV4Request& request) const;
  std::string string_to_sign(std::string_view amz_date, std::string_view canonical_request) const;

  const std::string& region() const { return region_; }
  const S3Credentials& credentials() const { return credentials_; }
  // How many times the signing key was derived (a cache miss); for tests and stats.
  uint64_t key_derivations() const { return key_derivations_; }

 private:
  struct Canonical;
  struct EvpFree {
    void operator()(EVP_MD* md) const;
    void operator()(EVP_MD_CTX* ctx) const;
  };
  using MdCtx = std::unique_ptr<EVP_MD_CTX, EvpFree>;

  Result<Canonical> canonicalize(const SigV4Request& request) const;
  Result<std::string> signature(std::string_view amz_date, std::string_view canonical_request);
  bool select_signing_key(std::string_view date8);
  std::string scope(std::string_view date8) const;
  std::string compose_string_to_sign(std::string_view amz_date, std::string_view hash_hex) const;

  S3Credentials credentials_;
  std::string region_;
  std::string service_;
  std::unique_ptr<EVP_MD, EvpFree> sha256_;  // fetched once: EVP_sha256() would look it up per use
  MdCtx scratch_;
  MdCtx inner_;  // SHA-256 state after (signing key XOR ipad)
  MdCtx outer_;  // SHA-256 state after (signing key XOR opad)
  std::array<char, 8> key_date_{};  // YYYYMMDD the pads are for; zeroes when none
  uint64_t key_derivations_ = 0;
};

}  // namespace sluice::s3
