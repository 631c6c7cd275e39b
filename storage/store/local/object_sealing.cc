#include "storage/store/local/object_sealing.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace sluice::local {

Status seal_if_keyed(const MasterKeyRing* ring, std::optional<NewSealing>& out) {
  if (!ring) return Status();
  auto sealed = seal_new_object(*ring);
  if (!sealed.ok()) return std::move(sealed).error();
  out = std::move(*sealed);
  return Status();
}

Result<NewSealing> seal_new_object(const MasterKeyRing& ring) {
  DataKey key;
  NewSealing out;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1 ||
      RAND_bytes(out.envelope.base_nonce.data(), static_cast<int>(out.envelope.base_nonce.size())) != 1)
    return Error(Errc::internal, "no randomness for an object's data key");
  auto wrapped = ring.wrap(key);
  if (!wrapped.ok()) return std::move(wrapped).error();
  out.envelope.key_id = ring.current_id();
  out.envelope.wrapped_key = *wrapped;
  out.cipher = std::make_unique<SegmentCipher>(key, out.envelope.base_nonce);
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

Result<std::unique_ptr<SegmentCipher>> cipher_for(const MasterKeyRing* ring, const ObjectHeader& header) {
  if (!header.envelope) return std::unique_ptr<SegmentCipher>();
  if (!ring)
    return Error(Errc::internal, "object is encrypted (master key id '" + header.envelope->key_id +
                                     "') but no master key is configured (SLUICE_ENCRYPTION=on)");
  auto key = ring->unwrap(header.envelope->key_id, header.envelope->wrapped_key);
  if (!key.ok()) return std::move(key).error();
  auto cipher = std::make_unique<SegmentCipher>(*key, header.envelope->base_nonce);
  OPENSSL_cleanse(key->data(), key->size());
  return cipher;
}

}  // namespace sluice::local
