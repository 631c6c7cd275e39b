#include "storage/service/auth/jwt.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <cmath>
#include <optional>

#include "storage/service/auth/base64url.h"

namespace sluice::auth {
namespace {

constexpr size_t kHs256Bytes = 32;
constexpr size_t kMaxSubBytes = 128;
constexpr size_t kMaxTierBytes = 64;
// NumericDate values outside [0, year 9999] are refused, which also keeps the arithmetic
// with now and leeway far from overflow.
constexpr int64_t kMaxNumericDate = 253402300799;

Error unauth(std::string message) { return Error(Errc::unauthenticated, std::move(message)); }

bool hmac_sha256(EVP_MAC* mac, std::string_view key, std::string_view data,
                 unsigned char (&out)[kHs256Bytes]) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  size_t len = 0;
  bool ok = ctx &&
            EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                         params) == 1 &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1 &&
            EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1 && len == kHs256Bytes;
  EVP_MAC_CTX_free(ctx);
  return ok;
}

bool valid_sub(std::string_view sub) {
  if (sub.empty() || sub.size() > kMaxSubBytes) return false;
  for (char c : sub) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Same alphabet as sluice.tiers.name.
bool valid_tier(std::string_view tier) {
  if (tier.empty() || tier.size() > kMaxTierBytes) return false;
  for (char c : tier) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// RFC 7519 NumericDate: integer or fractional seconds; fractions are truncated.
bool numeric_date(simdjson::dom::element value, int64_t* out) {
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  if (value.get_int64().get(i) == simdjson::SUCCESS) {
    *out = i;
  } else if (value.get_uint64().get(u) == simdjson::SUCCESS) {
    return false;  // beyond int64, certainly beyond kMaxNumericDate
  } else if (value.get_double().get(d) == simdjson::SUCCESS) {
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxNumericDate)) return false;
    *out = static_cast<int64_t>(d);
  } else {
    return false;
  }
  return *out >= 0 && *out <= kMaxNumericDate;
}

struct Header {
  JwsAlg alg = JwsAlg::hs256;
  std::string kid;
};

Result<Header> parse_header(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::object obj;
  if (parser.parse(json).get_object().get(obj) != simdjson::SUCCESS) {
    return unauth("malformed token: header is not a JSON object");
  }
  std::optional<std::string_view> alg, kid;
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "alg" || key == "kid") {
      auto& slot = key == "alg" ? alg : kid;
      std::string_view text;
      if (slot || field.value.get_string().get(text) != simdjson::SUCCESS) {
        return unauth("malformed token: bad or duplicate '" + std::string(key) + "' header");
      }
      slot = text;
    } else if (key == "crit") {
      // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
      return unauth("unsupported crit header");
    }
  }
  if (!alg) return unauth("malformed token: header has no alg");
  if (iequals(*alg, "none")) return unauth("alg none not allowed");
  auto parsed = parse_jws_alg(*alg);
  if (!parsed) return unauth("unsupported alg '" + std::string(alg->substr(0, 16)) + "'");
  return Header{*parsed, std::string(kid.value_or(""))};
}

bool audience_matches(simdjson::dom::element aud, std::string_view expected) {
  std::string_view text;
  if (aud.get_string().get(text) == simdjson::SUCCESS) return text == expected;
  simdjson::dom::array list;
  if (aud.get_array().get(list) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element entry : list) {
    if (entry.get_string().get(text) == simdjson::SUCCESS && text == expected) return true;
  }
  return false;
}

Result<Claims> parse_claims(simdjson::dom::parser& parser, const std::string& json,
                            const JwtOptions& options, int64_t now) {
  simdjson::dom::object obj;
  if (parser.parse(json).get_object().get(obj) != simdjson::SUCCESS) {
    return unauth("malformed token: payload is not a JSON object");
  }
  std::optional<int64_t> exp, nbf, iat;
  std::optional<std::string_view> sub, role, tier, iss;
  std::optional<simdjson::dom::element> aud;
  // Duplicate claims are refused: two parsers must never disagree about which one counts.
  for (auto field : obj) {
    std::string_view key = field.key;
    auto dup = [&] { return unauth("malformed token: duplicate '" + std::string(key) + "' claim"); };
    if (key == "exp" || key == "nbf" || key == "iat") {
      auto& slot = key == "exp" ? exp : key == "nbf" ? nbf : iat;
      if (slot) return dup();
      int64_t value = 0;
      if (!numeric_date(field.value, &value)) {
        return unauth("malformed token: '" + std::string(key) + "' is not a valid date");
      }
      slot = value;
    } else if (key == "sub" || key == "role" || key == "tier" || key == "iss") {
      auto& slot = key == "sub" ? sub : key == "role" ? role : key == "tier" ? tier : iss;
      if (slot) return dup();
      std::string_view text;
      if (field.value.get_string().get(text) != simdjson::SUCCESS) {
        return unauth("malformed token: '" + std::string(key) + "' is not a string");
      }
      slot = text;
    } else if (key == "aud") {
      if (aud) return dup();
      aud = field.value;
    }
  }

  if (!exp) return unauth("token has no exp");
  if (*exp <= now - options.leeway_seconds) return unauth("token expired");
  if (nbf && *nbf > now + options.leeway_seconds) return unauth("token not yet valid");
  if (iat && *iat > now + options.leeway_seconds) return unauth("token issued in the future");
  if (iat && *iat > *exp) return unauth("token iat after exp");
  if (!options.issuer.empty() && (!iss || *iss != options.issuer)) return unauth("wrong issuer");
  if (!options.audience.empty() && (!aud || !audience_matches(*aud, options.audience))) {
    return unauth("wrong audience");
  }
  if (!sub || sub->empty()) return unauth("token has no sub");
  if (!valid_sub(*sub)) return unauth("invalid sub");

  Claims claims;
  claims.sub = std::string(*sub);
  claims.exp = *exp;
  if (role) {
    if (*role == "user") claims.role = Role::user;
    else if (*role == "admin") claims.role = Role::admin;
    else if (*role == "root") claims.role = Role::root;
    else return unauth("invalid role");
  }
  if (tier) {
    if (!valid_tier(*tier)) return unauth("invalid tier");
    claims.tier = std::string(*tier);
  }
  return claims;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::user: return "user";
    case Role::admin: return "admin";
    case Role::root: return "root";
  }
  return "user";
}

void JwtVerifier::MacDeleter::operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {
  if (options_.leeway_seconds < 0) options_.leeway_seconds = 0;
}

JwtVerifier::~JwtVerifier() { OPENSSL_cleanse(hs256_secret_.data(), hs256_secret_.size()); }

JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

Status JwtVerifier::set_hs256_secret(std::string_view secret) {
  if (secret.size() < kMinHs256SecretBytes) {
    return Error(Errc::invalid_argument, "HS256 secret must be at least " +
                                             std::to_string(kMinHs256SecretBytes) + " bytes");
  }
  if (!hmac_) {
    hmac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!hmac_) return Error(Errc::internal, "OpenSSL has no HMAC implementation");
  }
  OPENSSL_cleanse(hs256_secret_.data(), hs256_secret_.size());
  hs256_secret_.assign(secret);
  return {};
}

Status JwtVerifier::add_jwks(std::string_view json) { return jwks_.add_json(json); }

bool JwtVerifier::accepts(JwsAlg alg) const {
  if (alg == JwsAlg::hs256) return !hs256_secret_.empty() && hmac_ != nullptr;
  return jwks_.has(alg);
}

Result<Claims> JwtVerifier::verify(std::string_view token, int64_t now_unix) const {
  if (token.size() > kMaxTokenBytes) return unauth("token too large");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return unauth("malformed token: expected three segments");
  }
  auto header_json = base64url_decode(token.substr(0, dot1));
  if (!header_json) return unauth("malformed token: header is not base64url");

  simdjson::dom::parser parser;
  auto header = parse_header(parser, *header_json);
  if (!header) return std::move(header).error();
  // The key type picks the algorithm, never the token: an HS256 token is only checked with the
  // configured secret and an RS256/ES256 token only with JWKS keys of that exact type.
  if (!accepts(header->alg)) {
    return unauth("alg " + std::string(jws_alg_name(header->alg)) + " not accepted");
  }
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature) return unauth("malformed token: signature is not base64url");
  std::string_view signing_input = token.substr(0, dot2);

  if (header->alg == JwsAlg::hs256) {
    unsigned char mac[kHs256Bytes];
    if (!hmac_sha256(hmac_.get(), hs256_secret_, signing_input, mac)) {
      return Error(Errc::internal, "HMAC-SHA256 failed");
    }
    if (signature->size() != kHs256Bytes || CRYPTO_memcmp(mac, signature->data(), kHs256Bytes) != 0) {
      return unauth("bad signature");
    }
  } else {
    auto keys = jwks_.find(header->alg, header->kid);
    if (keys.empty()) return unauth("unknown kid");
    bool verified = false;
    for (const PublicJwk* key : keys) {
      if (key->verify(signing_input, *signature)) {
        verified = true;
        break;
      }
    }
    if (!verified) return unauth("bad signature");
  }

  auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return unauth("malformed token: payload is not base64url");
  return parse_claims(parser, *payload, options_, now_unix);
}

std::string mint_hs256(const Claims& claims, std::string_view secret, int64_t now_unix,
                       int64_t ttl_seconds, std::string_view issuer, std::string_view audience) {
  std::string payload = "{\"sub\":";
  append_json_string(payload, claims.sub);
  payload += ",\"role\":";
  append_json_string(payload, role_name(claims.role));
  if (!claims.tier.empty()) {
    payload += ",\"tier\":";
    append_json_string(payload, claims.tier);
  }
  if (!issuer.empty()) {
    payload += ",\"iss\":";
    append_json_string(payload, issuer);
  }
  if (!audience.empty()) {
    payload += ",\"aud\":";
    append_json_string(payload, audience);
  }
  payload += ",\"iat\":" + std::to_string(now_unix);
  payload += ",\"exp\":" + std::to_string(now_unix + ttl_seconds) + "}";

  std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  token.push_back('.');
  token += base64url_encode(payload);
  unsigned char mac[kHs256Bytes] = {};
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  bool ok = hmac && hmac_sha256(hmac, secret, token, mac);
  EVP_MAC_free(hmac);
  token.push_back('.');
  // A token that can never verify is the safe outcome of an (unexpected) OpenSSL failure.
  token += ok ? base64url_encode(std::string_view(reinterpret_cast<char*>(mac), kHs256Bytes)) : "";
  return token;
}

}  // namespace sluice::auth
