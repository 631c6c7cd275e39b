#include "storage/service/auth/jwks.h"

#include <algorithm>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <simdjson.h>

#include "storage/service/auth/base64url.h"

namespace sluice::auth {
namespace {

constexpr size_t kP256CoordBytes = 32;

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

Error jwks_error(std::string message) {
  return Error(Errc::invalid_argument, "jwks: " + std::move(message));
}

BnPtr to_bn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

// Builds a public EVP_PKEY of `type` from OpenSSL parameters, then lets OpenSSL check it
// (e.g. that an EC point lies on the curve).
PkeyPtr pkey_from_params(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

// Reads an optional string member; an absent member yields "", a non-string one an error.
bool string_member(simdjson::dom::object obj, std::string_view name, std::string_view* out) {
  simdjson::dom::element value;
  if (obj.at_key(name).get(value) != simdjson::SUCCESS) {
    *out = {};
    return true;
  }
  return value.get_string().get(*out) == simdjson::SUCCESS;
}

Result<std::string> b64_member(simdjson::dom::object obj, std::string_view name) {
  std::string_view text;
  if (!string_member(obj, name, &text) || text.empty()) {
    return jwks_error("key member '" + std::string(name) + "' missing or not a string");
  }
  auto bytes = base64url_decode(text);
  if (!bytes) return jwks_error("key member '" + std::string(name) + "' is not base64url");
  return std::move(*bytes);
}

Result<PkeyPtr> rsa_key(simdjson::dom::object jwk) {
  auto n = b64_member(jwk, "n");
  if (!n) return std::move(n).error();
  auto e = b64_member(jwk, "e");
  if (!e) return std::move(e).error();
  BnPtr bn_n = to_bn(*n);
  BnPtr bn_e = to_bn(*e);
  if (!bn_n || !bn_e) return Error(Errc::internal, "jwks: out of memory");
  if (BN_num_bits(bn_n.get()) < JwkSet::kMinRsaBits) {
    return jwks_error("RSA key shorter than " + std::to_string(JwkSet::kMinRsaBits) + " bits");
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
    params = OSSL_PARAM_BLD_to_param(bld);
  }
  PkeyPtr key = params ? pkey_from_params("RSA", params) : nullptr;
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (!key) return jwks_error("invalid RSA public key");
  return key;
}

Result<PkeyPtr> ec_key(simdjson::dom::object jwk) {
  std::string_view crv;
  if (!string_member(jwk, "crv", &crv) || crv != "P-256") {
    return jwks_error("EC key curve must be P-256");
  }
  auto x = b64_member(jwk, "x");
  if (!x) return std::move(x).error();
  auto y = b64_member(jwk, "y");
  if (!y) return std::move(y).error();
  // RFC 7518 §6.2.1.2: coordinates are full length, leading zeros kept.
  if (x->size() != kP256CoordBytes || y->size() != kP256CoordBytes) {
    return jwks_error("EC P-256 coordinates must be 32 bytes");
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  PkeyPtr key = pkey_from_params("EC", params);
  if (!key) return jwks_error("invalid EC public key (not on the P-256 curve?)");
  return key;
}

// JWS carries ES256 signatures as fixed-size r||s; OpenSSL wants a DER ECDSA-Sig-Value.
std::string ecdsa_raw_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), kP256CoordBytes, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + kP256CoordBytes,
                        kP256CoordBytes, nullptr);
  std::string der;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    int len = i2d_ECDSA_SIG(sig, nullptr);
    if (len > 0) {
      der.resize(static_cast<size_t>(len));
      auto* p = reinterpret_cast<unsigned char*>(der.data());
      if (i2d_ECDSA_SIG(sig, &p) != len) der.clear();
    }
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::string_view jws_alg_name(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::hs256: return "HS256";
    case JwsAlg::rs256: return "RS256";
    case JwsAlg::es256: return "ES256";
  }
  return "?";
}

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  if (name == "HS256") return JwsAlg::hs256;
  if (name == "RS256") return JwsAlg::rs256;
  if (name == "ES256") return JwsAlg::es256;
  return std::nullopt;
}

bool PublicJwk::verify(std::string_view signing_input, std::string_view signature) const {
  std::string der;
  if (alg == JwsAlg::es256) {
    if (signature.size() != 2 * kP256CoordBytes) return false;
    der = ecdsa_raw_to_der(signature);
    if (der.empty()) return false;
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx &&
            EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Status JwkSet::add_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array keys;
  if (parser.parse(simdjson::padded_string(json)).get(doc) != simdjson::SUCCESS) {
    return jwks_error("document is not valid JSON");
  }
  if (doc["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    return jwks_error("document has no \"keys\" array");
  }
  std::vector<PublicJwk> added;
  for (simdjson::dom::element entry : keys) {
    simdjson::dom::object jwk;
    if (entry.get_object().get(jwk) != simdjson::SUCCESS) return jwks_error("key is not an object");
    std::string_view kty, use, alg, kid;
    if (!string_member(jwk, "kty", &kty) || !string_member(jwk, "use", &use) ||
        !string_member(jwk, "alg", &alg) || !string_member(jwk, "kid", &kid)) {
      return jwks_error("kty/use/alg/kid must be strings");
    }
    if (!use.empty() && use != "sig") continue;
    PublicJwk key;
    key.kid = std::string(kid);
    Result<PkeyPtr> pkey = Error();
    if (kty == "RSA") {
      if (!alg.empty() && alg != "RS256") continue;
      key.alg = JwsAlg::rs256;
      if (jwk["d"].error() == simdjson::SUCCESS) return jwks_error("RSA key contains private part");
      pkey = rsa_key(jwk);
    } else if (kty == "EC") {
      if (!alg.empty() && alg != "ES256") continue;
      key.alg = JwsAlg::es256;
      if (jwk["d"].error() == simdjson::SUCCESS) return jwks_error("EC key contains private part");
      pkey = ec_key(jwk);
    } else {
      continue;  // "oct" and others: a JWKS never supplies HMAC secrets here
    }
    if (!pkey) return std::move(pkey).error();
    key.key = std::move(*pkey);
    if (!key.kid.empty()) {
      auto same = [&](const PublicJwk& k) { return k.alg == key.alg && k.kid == key.kid; };
      if (std::any_of(keys_.begin(), keys_.end(), same) ||
          std::any_of(added.begin(), added.end(), same)) {
        return jwks_error("duplicate kid '" + key.kid + "'");
      }
    }
    added.push_back(std::move(key));
  }
  if (added.empty()) return jwks_error("no usable RS256/ES256 signing key");
  for (auto& key : added) keys_.push_back(std::move(key));
  return {};
}

std::vector<const PublicJwk*> JwkSet::find(JwsAlg alg, std::string_view kid) const {
  std::vector<const PublicJwk*> out;
  for (const auto& key : keys_) {
    if (key.alg == alg && (kid.empty() || key.kid == kid)) out.push_back(&key);
  }
  return out;
}

bool JwkSet::has(JwsAlg alg) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const PublicJwk& k) { return k.alg == alg; });
}

}  // namespace sluice::auth
