#include "storage/service/shares/share_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

#include "storage/service/auth/api_key.h"
#include "storage/service/auth/base64url.h"

namespace sluice::service {

namespace {
constexpr size_t kTokenBytes = 32;
constexpr std::string_view kAccessKeyLabel = "sluice share access token v1";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}
}  // namespace

Result<ShareToken> generate_share_token() {
  std::array<unsigned char, kTokenBytes> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    return Error(Errc::internal, "no randomness for a share token");
  ShareToken t;
  t.token = auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  OPENSSL_cleanse(raw.data(), raw.size());
  t.hash = share_token_hash(t.token);
  return t;
}

std::string share_token_hash(std::string_view token) { return auth::hash_api_key_secret(token); }

Result<std::string> derive_share_access_key(std::string_view secret) {
  if (secret.empty()) {
    std::array<unsigned char, 32> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
      return Error(Errc::internal, "no randomness for the share access key");
    return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
  }
  return hmac_sha256(secret, kAccessKeyLabel);
}

std::string sign_share_access(std::string_view key, const ShareAccess& a) {
  std::string payload = a.share_id + "." + std::to_string(a.password_version) + "." + std::to_string(a.expires_unix);
  return auth::base64url_encode(payload) + "." + auth::base64url_encode(hmac_sha256(key, payload));
}

std::optional<ShareAccess> verify_share_access(std::string_view key, std::string_view token, int64_t now_unix) {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 512) return std::nullopt;
  auto payload = auth::base64url_decode(token.substr(0, dot));
  auto mac = auth::base64url_decode(token.substr(dot + 1));
  if (!payload || !mac) return std::nullopt;
  std::string expected = hmac_sha256(key, *payload);
  if (mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  std::string_view p = *payload;
  size_t a = p.find('.');
  size_t b = a == std::string_view::npos ? a : p.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  ShareAccess out;
  out.share_id = std::string(p.substr(0, a));
  if (!parse_int(p.substr(a + 1, b - a - 1), out.password_version)) return std::nullopt;
  if (!parse_int(p.substr(b + 1), out.expires_unix)) return std::nullopt;
  if (out.expires_unix <= now_unix) return std::nullopt;
  return out;
}

}  // namespace sluice::service
