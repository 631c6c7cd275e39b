// Fuzzes JwtVerifier (and the JWKS loader). input[0] % 4 picks the mode, the rest is its text:
//   0: a token as a client sends it, to a verifier with an HS256 secret and RS256 + ES256 JWKS
//      keys (so every alg's path is reachable, with garbage signatures);
//   1: "<header JSON>\n<payload JSON>" signed with the HS256 secret, to reach the claim checks;
//      a token that verifies must survive a mint_hs256 round trip with the same claims;
//   2: the same signed with the ES256 key (raw r||s, as JWS carries it);
//   3: a JWKS document for add_jwks.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/service/auth/base64url.h"
#include "storage/service/auth/jwt.h"

namespace {

using namespace sluice::auth;

constexpr int64_t kNow = 1'700'000'000;
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-fuzz-secret";

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate(const char* type) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1;
  if (ok && std::string_view(type) == "RSA") ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1;
  if (ok && std::string_view(type) == "EC") ok = EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1;
  if (ok) ok = EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  check(ok);
  return Pkey(key);
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  check(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  std::string out(pad ? static_cast<size_t>(pad) : static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  size_t len = 0;
  check(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out),
                  &len) != nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

// ES256 as JWS carries it: r and s, 32 bytes each (OpenSSL signs DER).
std::string sign_es256(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string der;
  check(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1);
  check(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1);
  der.resize(len);
  check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  check(sig != nullptr);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

struct Fixture {
  Pkey rsa = generate("RSA");
  Pkey ec = generate("EC");
  JwtVerifier verifier{JwtOptions{.issuer = "https://issuer.example", .audience = "sluice"}};
  JwtVerifier plain;  // no iss/aud checks: more tokens reach the claims

  Fixture() {
    std::string jwks = R"({"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"r1","n":")" +
                       base64url_encode(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_N)) + R"(","e":")" +
                       base64url_encode(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_E)) +
                       R"("},{"kty":"EC","crv":"P-256","kid":"e1","x":")" +
                       base64url_encode(bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")" +
                       base64url_encode(bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + R"("}]})";
    for (JwtVerifier* v : {&verifier, &plain}) {
      check(v->set_hs256_secret(kSecret).ok());
      check(v->add_jwks(jwks).ok());
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void check_claims(const sluice::Result<Claims>& r) {
  if (!r.ok()) {
    check(r.error().code == sluice::Errc::unauthenticated && !r.error().message.empty());
    return;
  }
  check(!r->sub.empty() && r->sub.size() <= 128);
}

void verify_signed(std::string_view text, bool es256) {
  Fixture& f = fixture();
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return;
  std::string input = base64url_encode(text.substr(0, nl)) + "." + base64url_encode(text.substr(nl + 1));
  std::string sig = es256 ? sign_es256(f.ec.get(), input) : hmac(kSecret, input);
  std::string token = input + "." + base64url_encode(sig);
  check_claims(f.verifier.verify(token, kNow));
  auto claims = f.plain.verify(token, kNow);
  check_claims(claims);
  if (!claims.ok()) return;
  // What Sluice accepted, minted again, must verify to the same claims.
  std::string minted = mint_hs256(*claims, kSecret, kNow, 600);
  auto again = f.plain.verify(minted, kNow);
  check(again.ok());
  check(again->sub == claims->sub && again->role == claims->role && again->tier == claims->tier);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      check_claims(fixture().verifier.verify(text, kNow));
      check_claims(fixture().plain.verify(text, kNow));
      break;
    case 1:
      verify_signed(text, false);
      break;
    case 2:
      verify_signed(text, true);
      break;
    case 3: {
      JwtVerifier v;
      auto s = v.add_jwks(text);
      check(s.ok() == (v.accepts(JwsAlg::rs256) || v.accepts(JwsAlg::es256)));
      break;
    }
  }
  return 0;
}
