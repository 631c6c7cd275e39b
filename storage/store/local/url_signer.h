// LocalUrlSigner: presigned URLs for the local store, served by Sluice itself at
// {base}/v1/local/objects/{key}?method=&expires=[&upload_id=&part=][&length=]
// [&response-content-disposition=&response-content-type=]&sig=, where sig is the hex
// HMAC-SHA256 (secret) of every other field; `length` binds an upload's exact size (the route
// refuses another Content-Length); the response overrides bind a download's Content-Disposition
// and Content-Type (as S3's presigned GET does). verify() is what the HTTP route calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/store/object_store.h"

namespace sluice::local {

inline constexpr std::string_view kLocalObjectsRoute = "/v1/local/objects/";
// The query parameters of a GET's signed response overrides (S3's names).
inline constexpr std::string_view kDispositionParam = "response-content-disposition";
inline constexpr std::string_view kContentTypeParam = "response-content-type";

struct LocalUrlSignerOptions {
  std::string secret;           // HMAC key, shared by every core and instance; empty: presign off
  std::string public_base_url;  // e.g. "https://files.example.com" (no trailing '/')
  int64_t min_expiry_seconds = 60;
  int64_t max_expiry_seconds = 7 * 24 * 3600;
};

class LocalUrlSigner {
 public:
  explicit LocalUrlSigner(LocalUrlSignerOptions options);

  // `upload_id` and `part_number` are used (and validated) only for upload_part, `overrides`
  // only for get. Errors:
  // Errc::invalid_argument (bad key, upload id, part, expiry out of bounds), Errc::unavailable
  // (no secret configured).
  Result<PresignedUrl> presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                               int part_number, int64_t expires_seconds, int64_t now_unix,
                               std::optional<uint64_t> length = std::nullopt,
                               const ResponseOverrides& overrides = {}) const;

  // Checks a request against its URL's fields as received (key already percent-decoded; ""
  // and 0 when upload_id / part are absent). Errc::permission_denied when the signature does
  // not match any field or the URL expired; the comparison is constant-time.
  Status verify(std::string_view method, std::string_view key, std::string_view upload_id, int part_number,
                int64_t expires_at_unix, std::string_view signature_hex, int64_t now_unix,
                std::optional<uint64_t> length = std::nullopt, const ResponseOverrides& overrides = {}) const;

  // Lower-case hex HMAC-SHA256 of the canonical form of the fields.
  std::string sign(std::string_view method, std::string_view key, std::string_view upload_id, int part_number,
                   int64_t expires_at_unix, std::optional<uint64_t> length = std::nullopt,
                   const ResponseOverrides& overrides = {}) const;

 private:
  LocalUrlSignerOptions options_;
};

// The URL path of a key below kLocalObjectsRoute: each segment percent-encoded, '/' kept.
std::string encode_key_for_url(std::string_view key);

}  // namespace sluice::local
