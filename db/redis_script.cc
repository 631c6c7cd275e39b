#include "db/redis_script.h"

#include <openssl/evp.h>

namespace sluice {

RedisScript::RedisScript(std::string source) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(source.data(), source.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) {
    unsigned char b = digest[i];
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  data_ = std::make_shared<const Data>(Data{std::move(source), std::move(hex)});
}

}  // namespace sluice
