// The public keys a JwtVerifier trusts, loaded from a JWKS document (RFC 7517); each key is
// bound to the single JWS algorithm its type allows, so a key can never verify another alg.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::auth {

// The JWS algorithms Sluice understands; everything else (including "none") is refused.
enum class JwsAlg { hs256, rs256, es256 };

std::string_view jws_alg_name(JwsAlg alg);
// Exact, case-sensitive match of a JOSE "alg" value; nullopt for anything unsupported.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// One RSA (RS256) or EC P-256 (ES256) public key.
struct PublicJwk {
  std::string kid;  // may be empty
  JwsAlg alg = JwsAlg::rs256;
  PkeyPtr key;

  // True when `signature` (as carried in a JWS: PKCS#1 v1.5 for RS256, raw r||s for ES256)
  // signs `signing_input` with this key.
  bool verify(std::string_view signing_input, std::string_view signature) const;
};

class JwkSet {
 public:
  static constexpr int kMinRsaBits = 2048;

  // Adds the usable keys of a JWKS document ({"keys": [...]}). Keys of other types, other
  // algorithms or use != "sig" are skipped; a malformed key, a private key, a duplicate
  // kid or a document without a single usable key fails the whole call and adds nothing.
  Status add_json(std::string_view json);

  // Keys that may verify `alg`: the one named `kid`, or all of that alg when kid is empty.
  std::vector<const PublicJwk*> find(JwsAlg alg, std::string_view kid) const;

  bool has(JwsAlg alg) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<PublicJwk> keys_;
};

}  // namespace sluice::auth
