#include "storage/service/auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "storage/service/auth/base64url.h"

namespace sluice::auth {
namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";

std::string b64(std::string_view bytes) { return base64url_encode(bytes); }

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  size_t len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                      sizeof(out), &len),
            nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

// header.payload signed with HMAC-SHA256 under `key`.
std::string hs_token(std::string_view header, std::string_view payload, std::string_view key) {
  std::string input = b64(header) + "." + b64(payload);
  return input + "." + b64(hmac(key, input));
}

std::string payload_with(std::string_view extra) {
  std::string p = R"({"sub":"alice","exp":)" + std::to_string(kNow + 600);
  if (!extra.empty()) p += "," + std::string(extra);
  return p + "}";
}

constexpr std::string_view kHsHeader = R"({"alg":"HS256","typ":"JWT"})";

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
  EXPECT_TRUE(ok);
  return Pkey(key);
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(pad ? static_cast<size_t>(pad) : static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

std::string rsa_jwk(EVP_PKEY* key, std::string_view kid) {
  return R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")" + std::string(kid) + R"(","n":")" +
         b64(bn_param(key, OSSL_PKEY_PARAM_RSA_N)) + R"(","e":")" +
         b64(bn_param(key, OSSL_PKEY_PARAM_RSA_E)) + R"("})";
}

std::string ec_jwk(EVP_PKEY* key, std::string_view kid) {
  return R"({"kty":"EC","crv":"P-256","kid":")" + std::string(kid) + R"(","x":")" +
         b64(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")" +
         b64(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + R"("})";
}

std::string jwks(std::initializer_list<std::string> keys) {
  std::string out = R"({"keys":[)";
  for (const auto& k : keys) out += (out.back() == '[' ? "" : ",") + k;
  return out + "]}";
}

// OpenSSL's signature: PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC.
std::string sign_der(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    sig.resize(len);
    EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()),
              1);
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EXPECT_FALSE(sig.empty());
  return sig;
}

std::string der_to_raw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(sig, nullptr);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string pk_token(EVP_PKEY* key, std::string_view alg, std::string_view kid,
                     std::string_view payload) {
  std::string header = R"({"alg":")" + std::string(alg) + "\"";
  if (!kid.empty()) header += R"(,"kid":")" + std::string(kid) + "\"";
  header += "}";
  std::string input = b64(header) + "." + b64(payload);
  std::string sig = sign_der(key, input);
  if (alg == "ES256") sig = der_to_raw(sig);
  return input + "." + b64(sig);
}

std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, key), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

std::string public_der(EVP_PKEY* key) {
  unsigned char* data = nullptr;
  int len = i2d_PUBKEY(key, &data);
  EXPECT_GT(len, 0);
  std::string der(reinterpret_cast<char*>(data), static_cast<size_t>(len));
  OPENSSL_free(data);
  return der;
}

void expect_unauth(const Result<Claims>& r, std::string_view message) {
  ASSERT_FALSE(r.ok()) << "expected failure: " << message;
  EXPECT_EQ(r.error().code, Errc::unauthenticated);
  EXPECT_EQ(r.error().message, message);
}

JwtVerifier hs_verifier(JwtOptions options = {}) {
  JwtVerifier v(std::move(options));
  EXPECT_TRUE(v.set_hs256_secret(kSecret).ok());
  return v;
}

// Key generation is the slow part; one set of keys serves the whole suite.
class JwtKeys : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = generate("RSA").release();
    rsa_other_ = generate("RSA").release();
    ec_ = generate("EC").release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(rsa_other_);
    EVP_PKEY_free(ec_);
  }
  static inline EVP_PKEY* rsa_ = nullptr;
  static inline EVP_PKEY* rsa_other_ = nullptr;
  static inline EVP_PKEY* ec_ = nullptr;
};

TEST(Base64url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = base64url_decode(b64(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 250));
  }
  EXPECT_EQ(b64("\xfb\xff"), "-_8");
}

TEST(Base64url, RejectsPaddingForeignCharsAndNonCanonicalBits) {
  EXPECT_FALSE(base64url_decode("QQ==").has_value());
  EXPECT_FALSE(base64url_decode("a+b/").has_value());
  EXPECT_FALSE(base64url_decode("QQ Q").has_value());
  EXPECT_FALSE(base64url_decode("QUJDR").has_value());  // length 1 mod 4
  EXPECT_TRUE(base64url_decode("QQ").has_value());
  EXPECT_FALSE(base64url_decode("QR").has_value());  // "A" with a stray low bit set
}

TEST(Jwt, MintedHs256TokenVerifiesWithItsClaims) {
  Claims claims{.sub = "user-42@example.com", .role = Role::admin, .tier = "pro", .exp = 0};
  std::string token = mint_hs256(claims, kSecret, kNow, 3600, "https://issuer", "sluice");
  auto r = hs_verifier({.issuer = "https://issuer", .audience = "sluice"}).verify(token, kNow + 10);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sub, "user-42@example.com");
  EXPECT_EQ(r->role, Role::admin);
  EXPECT_EQ(r->tier, "pro");
  EXPECT_EQ(r->exp, kNow + 3600);
}

TEST(Jwt, RoleDefaultsToUserAndTierToEmpty) {
  auto r = hs_verifier().verify(hs_token(kHsHeader, payload_with(""), kSecret), kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->role, Role::user);
  EXPECT_EQ(r->tier, "");
}

TEST(Jwt, WrongSecretOrTamperedPayloadIsBadSignature) {
  auto v = hs_verifier();
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(""), kSecret + "x"), kNow),
                "bad signature");
  std::string token = hs_token(kHsHeader, payload_with(""), kSecret);
  size_t dot1 = token.find('.');
  size_t dot2 = token.rfind('.');
  std::string forged = token.substr(0, dot1 + 1) + b64(payload_with(R"("role":"root")")) +
                       token.substr(dot2);
  expect_unauth(v.verify(forged, kNow), "bad signature");
  expect_unauth(v.verify(token.substr(0, dot2 + 1), kNow), "bad signature");  // empty sig
}

TEST(Jwt, ExpiryHonoursLeeway) {
  auto v = hs_verifier();  // leeway 30 s
  std::string token = hs_token(kHsHeader, R"({"sub":"a","exp":)" + std::to_string(kNow) + "}", kSecret);
  EXPECT_TRUE(v.verify(token, kNow + 29).ok());
  expect_unauth(v.verify(token, kNow + 30), "token expired");
  expect_unauth(v.verify(hs_token(kHsHeader, R"({"sub":"a"})", kSecret), kNow), "token has no exp");
  auto strict = hs_verifier({.leeway_seconds = 0});
  expect_unauth(strict.verify(token, kNow), "token expired");
}

TEST(Jwt, NotBeforeAndIssuedAtInTheFutureAreRefused) {
  auto v = hs_verifier();
  auto at = [&](std::string_view claim, int64_t t) {
    return hs_token(kHsHeader, payload_with("\"" + std::string(claim) + "\":" + std::to_string(t)),
                    kSecret);
  };
  EXPECT_TRUE(v.verify(at("nbf", kNow + 30), kNow).ok());
  expect_unauth(v.verify(at("nbf", kNow + 31), kNow), "token not yet valid");
  EXPECT_TRUE(v.verify(at("iat", kNow + 30), kNow).ok());
  expect_unauth(v.verify(at("iat", kNow + 31), kNow), "token issued in the future");
}

TEST(Jwt, FractionalDatesAreAccepted) {
  auto v = hs_verifier();
  auto r = v.verify(hs_token(kHsHeader, R"({"sub":"a","exp":1700000100.75,"iat":1699999999.5})",
                             kSecret),
                    kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exp, 1700000100);
  expect_unauth(v.verify(hs_token(kHsHeader, R"({"sub":"a","exp":"soon"})", kSecret), kNow),
                "malformed token: 'exp' is not a valid date");
  expect_unauth(v.verify(hs_token(kHsHeader, R"({"sub":"a","exp":1e300})", kSecret), kNow),
                "malformed token: 'exp' is not a valid date");
}

TEST(Jwt, IssuerMustMatchWhenConfigured) {
  auto v = hs_verifier({.issuer = "https://auth.example"});
  EXPECT_TRUE(v.verify(hs_token(kHsHeader, payload_with(R"("iss":"https://auth.example")"), kSecret), kNow).ok());
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(R"("iss":"https://evil.example")"), kSecret), kNow),
                "wrong issuer");
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(""), kSecret), kNow), "wrong issuer");
}

TEST(Jwt, AudienceMayBeStringOrArray) {
  auto v = hs_verifier({.audience = "sluice"});
  auto with = [&](std::string_view aud) {
    return v.verify(hs_token(kHsHeader, payload_with(aud), kSecret), kNow);
  };
  EXPECT_TRUE(with(R"("aud":"sluice")").ok());
  EXPECT_TRUE(with(R"("aud":["other","sluice"])").ok());
  expect_unauth(with(R"("aud":["other",7])"), "wrong audience");
  expect_unauth(with(R"("aud":"sluice-admin")"), "wrong audience");
  expect_unauth(with(""), "wrong audience");
}

TEST(Jwt, AlgNoneIsRefusedInAnySpelling) {
  auto v = hs_verifier();
  for (std::string_view alg : {"none", "None", "NONE"}) {
    std::string token = b64(R"({"alg":")" + std::string(alg) + "\"}") + "." + b64(payload_with("")) + ".";
    expect_unauth(v.verify(token, kNow), "alg none not allowed");
  }
  expect_unauth(v.verify(hs_token(R"({"alg":"HS512"})", payload_with(""), kSecret), kNow),
                "unsupported alg 'HS512'");
  expect_unauth(v.verify(hs_token(R"({"typ":"JWT"})", payload_with(""), kSecret), kNow),
                "malformed token: header has no alg");
  expect_unauth(v.verify(hs_token(R"({"alg":"HS256","crit":["exp"]})", payload_with(""), kSecret), kNow),
                "unsupported crit header");
}

TEST(Jwt, SubRoleAndTierAreValidated) {
  auto v = hs_verifier();
  auto with = [&](std::string_view payload) {
    return v.verify(hs_token(kHsHeader, payload, kSecret), kNow);
  };
  std::string exp = R"("exp":)" + std::to_string(kNow + 60);
  EXPECT_TRUE(with("{" + exp + R"(,"sub":")" + std::string(128, 'a') + "\"}").ok());
  expect_unauth(with("{" + exp + R"(,"sub":")" + std::string(129, 'a') + "\"}"), "invalid sub");
  expect_unauth(with("{" + exp + R"(,"sub":"../etc"})"), "invalid sub");
  expect_unauth(with("{" + exp + R"(,"sub":"a b"})"), "invalid sub");
  expect_unauth(with("{" + exp + R"(,"sub":""})"), "token has no sub");
  expect_unauth(with("{" + exp + "}"), "token has no sub");
  expect_unauth(with("{" + exp + R"(,"sub":42})"), "malformed token: 'sub' is not a string");
  expect_unauth(with(payload_with(R"("role":"superuser")")), "invalid role");
  expect_unauth(with(payload_with(R"("tier":"Pro Plan")")), "invalid tier");
  auto root = with(payload_with(R"("role":"root")"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->role, Role::root);
}

TEST(Jwt, DuplicateClaimsAreRefused) {
  auto v = hs_verifier();
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(R"("sub":"root")"), kSecret), kNow),
                "malformed token: duplicate 'sub' claim");
  // A second, later exp must not extend the token's life.
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(R"("exp":9999999999)"), kSecret), kNow),
                "malformed token: duplicate 'exp' claim");
  expect_unauth(v.verify(hs_token(R"({"alg":"HS256","alg":"none"})", payload_with(""), kSecret), kNow),
                "malformed token: bad or duplicate 'alg' header");
}

TEST(Jwt, MalformedTokensAreRefused) {
  auto v = hs_verifier();
  std::string good = hs_token(kHsHeader, payload_with(""), kSecret);
  expect_unauth(v.verify("", kNow), "malformed token: expected three segments");
  expect_unauth(v.verify("a.b", kNow), "malformed token: expected three segments");
  expect_unauth(v.verify(good + ".x", kNow), "malformed token: expected three segments");
  expect_unauth(v.verify("e+J." + good.substr(good.find('.') + 1), kNow),
                "malformed token: header is not base64url");
  expect_unauth(v.verify(good + "=", kNow), "malformed token: signature is not base64url");
  expect_unauth(v.verify(hs_token("{\"alg\":", payload_with(""), kSecret), kNow),
                "malformed token: header is not a JSON object");
  expect_unauth(v.verify(hs_token(kHsHeader, "{\"sub\":", kSecret), kNow),
                "malformed token: payload is not a JSON object");
  expect_unauth(v.verify(hs_token(kHsHeader, "[1,2]", kSecret), kNow),
                "malformed token: payload is not a JSON object");
  // A payload that is not base64url, signed correctly so the signature check passes.
  std::string input = b64(kHsHeader) + ".e30=";
  expect_unauth(v.verify(input + "." + b64(hmac(kSecret, input)), kNow),
                "malformed token: payload is not base64url");
}

TEST(Jwt, OversizedTokenIsRefusedBeforeParsing) {
  auto v = hs_verifier();
  std::string big = payload_with(R"("pad":")" + std::string(6200, 'x') + "\"");
  std::string token = hs_token(kHsHeader, big, kSecret);
  ASSERT_GT(token.size(), JwtVerifier::kMaxTokenBytes);
  expect_unauth(v.verify(token, kNow), "token too large");
  std::string fits = hs_token(kHsHeader, payload_with(R"("pad":")" + std::string(5000, 'x') + "\""), kSecret);
  ASSERT_LE(fits.size(), JwtVerifier::kMaxTokenBytes);
  EXPECT_TRUE(v.verify(fits, kNow).ok());
}

TEST(Jwt, ShortHs256SecretIsRejected) {
  JwtVerifier v;
  EXPECT_FALSE(v.set_hs256_secret("too-short").ok());
  EXPECT_FALSE(v.accepts(JwsAlg::hs256));
  expect_unauth(v.verify(hs_token(kHsHeader, payload_with(""), "too-short"), kNow),
                "alg HS256 not accepted");
}

TEST_F(JwtKeys, Rs256TokenVerifiesAgainstJwksKey) {
  JwtVerifier v;
  ASSERT_TRUE(v.add_jwks(jwks({rsa_jwk(rsa_, "r1"), ec_jwk(ec_, "e1")})).ok());
  auto r = v.verify(pk_token(rsa_, "RS256", "r1", payload_with(R"("role":"admin")")), kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sub, "alice");
  EXPECT_EQ(r->role, Role::admin);
  EXPECT_TRUE(v.verify(pk_token(rsa_, "RS256", "", payload_with("")), kNow).ok());  // no kid
  expect_unauth(v.verify(pk_token(rsa_, "RS256", "r9", payload_with("")), kNow), "unknown kid");
  expect_unauth(v.verify(pk_token(rsa_other_, "RS256", "r1", payload_with("")), kNow),
                "bad signature");
  // Valid signature, expired claims: the claims are still checked.
  expect_unauth(v.verify(pk_token(rsa_, "RS256", "r1", R"({"sub":"a","exp":5})"), kNow),
                "token expired");
}

TEST_F(JwtKeys, Es256TokenUsesRawRsSignature) {
  JwtVerifier v;
  ASSERT_TRUE(v.add_jwks(jwks({ec_jwk(ec_, "e1")})).ok());
  std::string token = pk_token(ec_, "ES256", "e1", payload_with(""));
  auto r = v.verify(token, kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The same signature DER-encoded (what OpenSSL emits) is not a valid JWS signature.
  std::string input = token.substr(0, token.rfind('.'));
  expect_unauth(v.verify(input + "." + b64(sign_der(ec_, input)), kNow), "bad signature");
  std::string raw = *base64url_decode(token.substr(token.rfind('.') + 1));
  ASSERT_EQ(raw.size(), 64u);
  raw[40] ^= 1;  // corrupt s
  expect_unauth(v.verify(input + "." + b64(raw), kNow), "bad signature");
  expect_unauth(v.verify(input + "." + b64(raw.substr(0, 63)), kNow), "bad signature");
  // An ES256 verifier has no RSA key, and an RSA-signed token claiming ES256 fails.
  expect_unauth(v.verify(pk_token(rsa_, "RS256", "e1", payload_with("")), kNow),
                "alg RS256 not accepted");
}

TEST_F(JwtKeys, HmacWithPublicKeyBytesNeverVerifies) {
  // The classic confusion attack: the public key is public, so an attacker can HMAC with it.
  std::string pem = public_pem(rsa_);
  std::string der = public_der(rsa_);
  JwtVerifier jwks_only;
  ASSERT_TRUE(jwks_only.add_jwks(jwks({rsa_jwk(rsa_, "r1")})).ok());
  for (const std::string& key : {pem, der}) {
    expect_unauth(jwks_only.verify(hs_token(R"({"alg":"HS256","kid":"r1"})", payload_with(""), key), kNow),
                  "alg HS256 not accepted");
  }
  JwtVerifier both = hs_verifier();
  ASSERT_TRUE(both.add_jwks(jwks({rsa_jwk(rsa_, "r1")})).ok());
  for (const std::string& key : {pem, der}) {
    expect_unauth(both.verify(hs_token(R"({"alg":"HS256","kid":"r1"})", payload_with(""), key), kNow),
                  "bad signature");
  }
  // And the reverse: an RS256 header on a token MACed with the shared secret.
  std::string input = b64(R"({"alg":"RS256","kid":"r1"})") + "." + b64(payload_with(""));
  expect_unauth(both.verify(input + "." + b64(hmac(kSecret, input)), kNow), "bad signature");
}

TEST_F(JwtKeys, JwksIsValidatedAsAWhole) {
  JwtVerifier v;
  auto fails = [&](const std::string& doc) { return !v.add_jwks(doc).ok(); };
  EXPECT_TRUE(fails("not json"));
  EXPECT_TRUE(fails(R"({"keys":{}})"));
  EXPECT_TRUE(fails(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})"));  // no usable key
  EXPECT_TRUE(fails(R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})"));
  EXPECT_TRUE(fails(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})"));  // tiny modulus
  std::string ec = ec_jwk(ec_, "e1");
  std::string off_curve = ec;
  size_t y = off_curve.find(R"("y":")") + 5;
  off_curve[y] = off_curve[y] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(fails(jwks({off_curve})));
  std::string with_private = ec;
  with_private.insert(1, R"("d":"AAAA",)");
  EXPECT_TRUE(fails(jwks({with_private})));
  EXPECT_TRUE(fails(jwks({ec, ec_jwk(ec_, "e1")})));  // duplicate kid
  EXPECT_EQ(v.accepts(JwsAlg::es256), false);  // nothing from the failed documents was kept

  // Keys for other algorithms or uses are skipped, not fatal.
  std::string enc = rsa_jwk(rsa_other_, "enc");
  enc.replace(enc.find(R"("use":"sig")"), 11, R"("use":"enc")");
  ASSERT_TRUE(v.add_jwks(jwks({R"({"kty":"oct","k":"c2VjcmV0"})", enc, ec})).ok());
  EXPECT_TRUE(v.accepts(JwsAlg::es256));
  EXPECT_FALSE(v.accepts(JwsAlg::rs256));
  EXPECT_FALSE(v.accepts(JwsAlg::hs256));
  EXPECT_TRUE(fails(jwks({ec_jwk(ec_, "e1")})));  // kid already loaded
}

}  // namespace
}  // namespace sluice::auth
