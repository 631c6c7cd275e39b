#include "storage/service/shares/share_password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <vector>

namespace sluice::service {

Result<std::string> hash_share_password(std::string_view password) {
  std::array<unsigned char, kArgon2SaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    return Error(Errc::internal, "no randomness for a password salt");
  size_t len = argon2_encodedlen(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Parallelism, kArgon2SaltBytes,
                                 kArgon2HashBytes, Argon2_id);
  std::vector<char> encoded(len);
  int rc =
      argon2id_hash_encoded(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Parallelism, password.data(), password.size(),
                            salt.data(), salt.size(), kArgon2HashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Error(Errc::internal, std::string("argon2id failed: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool share_password_matches(std::string_view encoded, std::string_view password) {
  std::string z(encoded);  // argon2 wants a C string
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace sluice::service
